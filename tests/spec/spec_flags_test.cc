// SpecFlags: the one declaration of the spec's flags, as corralctl start and corral-server
// parse them.
#include "spec/spec_flags.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "spec/spec_validation.h"

namespace corral::spec {
namespace {

// Parses `args` (after the program name) into `app`, as a command line would.
void Parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<const char*> argv = {"prog"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(SpecFlagsTest, NothingGivenIsTheDefaultSpec) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServer);
  Parse(app, {});
  EXPECT_FALSE(flags.AnyGiven());
  absl::StatusOr<v1::ServerSpec> spec = flags.Build("web");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "web");
  EXPECT_EQ(spec->protocol(), v1::PROTOCOL_TCP_ECHO);
  EXPECT_EQ(spec->model(), v1::MODEL_THREAD);
  EXPECT_EQ(spec->listen(), "127.0.0.1:0");
  EXPECT_EQ(spec->max_workers(), 0u);  // ValidateSpec's default applies
  EXPECT_FALSE(spec->has_file_cache_valid_ms());
}

TEST(SpecFlagsTest, EveryServerFieldHasItsFlag) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServer);
  Parse(app, {"--protocol",
              "http",
              "-m",
              "fork",
              "--listen",
              "[::1]:8080",
              "--root",
              "/srv",
              "--max-workers",
              "7",
              "--stop-timeout-ms",
              "900",
              "--idle-timeout-ms",
              "800",
              "--pool-size",
              "3",
              "--file-cache-valid-ms",
              "0",
              "--header-timeout-ms",
              "250"});
  EXPECT_TRUE(flags.AnyGiven());
  absl::StatusOr<v1::ServerSpec> spec = flags.Build("web");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->protocol(), v1::PROTOCOL_HTTP);
  EXPECT_EQ(spec->model(), v1::MODEL_FORK);
  EXPECT_EQ(spec->listen(), "[::1]:8080");
  EXPECT_EQ(spec->root(), "/srv");
  EXPECT_EQ(spec->max_workers(), 7u);
  EXPECT_EQ(spec->stop_timeout_ms(), 900u);
  EXPECT_EQ(spec->idle_timeout_ms(), 800u);
  EXPECT_EQ(spec->pool_size(), 3u);
  ASSERT_TRUE(spec->has_file_cache_valid_ms());  // given as 0: set, not left to the default
  EXPECT_EQ(spec->file_cache_valid_ms(), 0u);
  EXPECT_EQ(spec->header_timeout_ms(), 250u);

  CLI::App file_app;
  SpecFlags file_flags(file_app, SpecFlags::Fields::kServer);
  Parse(file_app, {"--protocol", "file", "--root", "/srv", "--allow-overwrite",
                   "--max-upload-bytes", "4096", "-m", "coroutine", "--hubs", "2"});
  spec = file_flags.Build("files");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->allow_overwrite());
  EXPECT_EQ(spec->max_upload_bytes(), 4096u);
  EXPECT_EQ(spec->hubs(), 2u);
}

TEST(SpecFlagsTest, HandlerAndItsArgsAreServerFlags) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServer);
  Parse(app, {"--protocol", "tcp", "--handler", "kv.so", "--handler-arg", "max_keys=3",
              "--handler-arg", "motto=a=b"});
  absl::StatusOr<v1::ServerSpec> spec = flags.Build("kv");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->protocol(), v1::PROTOCOL_TCP);
  // Relative to the caller's directory, made absolute before it reaches an agent elsewhere.
  EXPECT_EQ(spec->handler(), (std::filesystem::current_path() / "kv.so").string());
  ASSERT_EQ(spec->handler_args().size(), 2u);
  EXPECT_EQ(spec->handler_args().at("max_keys"), "3");
  EXPECT_EQ(spec->handler_args().at("motto"), "a=b");

  CLI::App bad_app;
  SpecFlags bad(bad_app, SpecFlags::Fields::kServer);
  Parse(bad_app, {"--handler-arg", "novalue"});
  EXPECT_EQ(bad.Build("kv").status().message(), "--handler-arg \"novalue\" is not KEY=VALUE");
}

TEST(SpecFlagsTest, SupervisionFlagsAreCorralctlsOnly) {
  CLI::App server;
  SpecFlags server_flags(server, SpecFlags::Fields::kServer);
  EXPECT_THROW(Parse(server, {"--restart", "never"}), CLI::ParseError);

  CLI::App ctl;
  SpecFlags ctl_flags(ctl, SpecFlags::Fields::kServerAndSupervision);
  Parse(ctl, {"--restart", "on-failure", "--backoff-initial-ms", "50", "--backoff-max-ms", "60",
              "--stable-after-ms", "70", "--max-failures", "2", "--ready-timeout-ms", "80",
              "--log-max-bytes", "8192", "--log-keep", "3"});
  absl::StatusOr<v1::ServerSpec> spec = ctl_flags.Build("web");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->restart_policy(), v1::RESTART_ON_FAILURE);
  EXPECT_EQ(spec->backoff_initial_ms(), 50u);
  EXPECT_EQ(spec->backoff_max_ms(), 60u);
  EXPECT_EQ(spec->stable_after_ms(), 70u);
  EXPECT_EQ(spec->max_failures(), 2u);
  EXPECT_EQ(spec->ready_timeout_ms(), 80u);
  EXPECT_EQ(spec->log_max_bytes(), 8192u);
  EXPECT_EQ(spec->log_keep_files(), 3u);
}

TEST(SpecFlagsTest, UnknownNamesSayWhatIsAccepted) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServerAndSupervision);
  Parse(app, {"--protocol", "gopher"});
  absl::StatusOr<v1::ServerSpec> spec = flags.Build("web");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(
      spec.status().message(),
      "unknown protocol \"gopher\"; use one of tcp-echo, udp-echo, http, file, tcp, udp, exec");

  CLI::App app2;
  SpecFlags flags2(app2, SpecFlags::Fields::kServerAndSupervision);
  Parse(app2, {"--model", "fiber"});
  EXPECT_EQ(flags2.Build("web").status().message(),
            "unknown model \"fiber\"; use one of fork, thread, coroutine");

  CLI::App app3;
  SpecFlags flags3(app3, SpecFlags::Fields::kServerAndSupervision);
  Parse(app3, {"--restart", "sometimes"});
  EXPECT_EQ(flags3.Build("web").status().message(),
            "unknown restart policy \"sometimes\"; use never, on-failure or always");
}

// What the flags build goes through the one validation: a setting the agent refuses is refused
// with the agent's words.
TEST(SpecFlagsTest, BuiltSpecsMeetTheAgentsValidation) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServer);
  Parse(app, {"--hubs", "2"});
  absl::StatusOr<v1::ServerSpec> spec = flags.Build("web");
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<v1::ServerSpec> validated = ValidateSpec(*spec);
  ASSERT_FALSE(validated.ok());
  EXPECT_EQ(validated.status().message(),
            "hubs applies to the coroutine model; use pool_size for fork and thread");
}

}  // namespace
}  // namespace corral::spec
