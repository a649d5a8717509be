// A command server's spec: built from corralctl's flags, then validated as the agent does.
#include "spec/command_validation.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "spec/ready_mode.h"
#include "spec/spec_flags.h"
#include "spec/spec_validation.h"
#include "tests/spec/spec_from_flags.h"

namespace corral::spec {
namespace {

TEST(CommandValidationTest, FlagsBuildACommandServer) {
  absl::StatusOr<v1::ServerSpec> spec = FromCtl(
      {"--listen", "127.0.0.1:0", "--listen", "dns=udp:127.0.0.1:53", "--env", "A=1", "--env",
       "B=2", "--umask", "022", "--ready", "notify", "--", "python3", "-m", "http.server"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->command_size(), 3);
  EXPECT_EQ(spec->command(2), "http.server");
  EXPECT_EQ(spec->listen(), "127.0.0.1:0");
  ASSERT_EQ(spec->sockets_size(), 1);
  EXPECT_EQ(spec->sockets(0).name(), "dns");
  EXPECT_TRUE(spec->sockets(0).udp());
  EXPECT_EQ(spec->env_size(), 2);
  EXPECT_EQ(spec->umask(), 022u);
  EXPECT_EQ(spec->protocol(), v1::PROTOCOL_UNSPECIFIED);
  EXPECT_EQ(spec->stop_timeout_ms(), kDefaultStopTimeoutMs);
  // No --listen: no socket at all; the default readiness is a delay.
  spec = FromCtl({"--", "sleep", "100"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->listen().empty());
  EXPECT_EQ(spec->ready(), kDefaultCommandReady);
  // Validating again changes nothing.
  EXPECT_EQ(ValidateSpec(*spec)->SerializeAsString(), spec->SerializeAsString());
}

TEST(CommandValidationTest, RefusesWhatCannotWork) {
  auto message = [](std::vector<std::string> args) {
    absl::StatusOr<v1::ServerSpec> spec = FromCtl(std::move(args));
    return spec.ok() ? std::string("ok") : std::string(spec.status().message());
  };
  EXPECT_EQ(message({"--ready", "http:/health", "--", "x"}),
            "ready http:PATH asks the first socket: give a --listen address");
  EXPECT_EQ(message({"--ready", "delay:20000", "--", "x"}),
            "ready delay:20000 must be shorter than ready_timeout_ms 10000");
  EXPECT_TRUE(absl::StrContains(message({"--root", "/tmp", "--", "x"}), "do not apply"));
  EXPECT_EQ(message({"--listen", "a=127.0.0.1:0", "--listen", "a=127.0.0.1:1", "--", "x"}),
            "socket name \"a\" is given twice");
  EXPECT_EQ(message({"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:1", "--", "x"}),
            "name every --listen after the first: NAME=HOST:PORT");
  EXPECT_EQ(message({"--env", "=x", "--", "x"}), "env \"=x\" is not KEY=VALUE");
  // corral-server's spec takes none of a command server's fields.
  EXPECT_TRUE(absl::StrContains(message({"--env", "A=1"}), "apply to command servers only"));
  EXPECT_TRUE(absl::StrContains(message({"--watchdog-ms", "500"}), "command servers only"));
  EXPECT_EQ(message({"--watchdog-ms", "3600001", "--", "x"}),
            "watchdog_ms 3600001 is above the limit of 3600000");
  EXPECT_TRUE(absl::StrContains(message({"--listen", "a=127.0.0.1:0"}), "command servers"));
}

TEST(ReadyModeTest, ParsesTheThreeForms) {
  EXPECT_EQ(ParseReadyMode("notify")->kind, ReadyMode::kNotify);
  EXPECT_EQ(ParseReadyMode("http:/healthz")->path, "/healthz");
  EXPECT_EQ(ParseReadyMode("delay:250")->delay_ms, 250u);
  EXPECT_FALSE(ParseReadyMode("http:healthz").ok());
  EXPECT_FALSE(ParseReadyMode("delay:soon").ok());
  EXPECT_FALSE(ParseReadyMode("").ok());
}

}  // namespace
}  // namespace corral::spec
