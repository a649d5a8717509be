// The health fields of a spec (issue 21 items 4 and 6): parsed from corralctl's flags, validated
// and given their defaults as the agent does.
#include "spec/health_mode.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "spec/spec_flags.h"
#include "spec/spec_validation.h"
#include "tests/spec/spec_from_flags.h"

namespace corral::spec {
namespace {

std::string Message(std::vector<std::string> args) {
  absl::StatusOr<v1::ServerSpec> spec = FromCtl(std::move(args));
  return spec.ok() ? std::string("ok") : std::string(spec.status().message());
}

TEST(HealthModeTest, ParsesHttpAndTcp) {
  absl::StatusOr<HealthMode> http = ParseHealthMode("http:/healthz?deep=1");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->kind, HealthMode::kHttp);
  EXPECT_EQ(http->path, "/healthz?deep=1");
  EXPECT_EQ(ParseHealthMode("tcp")->kind, HealthMode::kTcp);
  EXPECT_EQ(ParseHealthMode("udp").status().message(),
            "unknown health check \"udp\"; use http:/PATH or tcp");
  EXPECT_FALSE(ParseHealthMode("http:healthz").ok());
  EXPECT_FALSE(ParseHealthMode("http:/a b").ok());
}

TEST(HealthModeTest, ByteSizesTakeKMGSuffixes) {
  EXPECT_EQ(*ParseByteSize("512"), 512u);
  EXPECT_EQ(*ParseByteSize("4K"), 4096u);
  EXPECT_EQ(*ParseByteSize("512M"), 512u << 20);
  EXPECT_EQ(*ParseByteSize("2g"), uint64_t{2} << 30);
  EXPECT_EQ(*ParseByteSize("3MiB"), 3u << 20);
  for (const char* bad : {"", "M", "12T", "-1", "1.5G", "99999999999999999999", "17179869184G"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

TEST(HealthModeTest, FlagsBuildAndDefaultTheProbeForBothKinds) {
  absl::StatusOr<v1::ServerSpec> spec =
      FromCtl({"--listen", "127.0.0.1:0", "--health", "http:/healthz", "--memory-max", "512M", "--",
               "python3", "app.py"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->health(), "http:/healthz");
  EXPECT_EQ(spec->health_interval_ms(), kDefaultHealthIntervalMs);
  EXPECT_EQ(spec->health_timeout_ms(), kDefaultHealthTimeoutMs);
  EXPECT_EQ(spec->health_failures(), kDefaultHealthFailures);
  EXPECT_EQ(spec->memory_max_bytes(), 512u << 20);
  // corral-server alike.
  spec = FromCtl({"--protocol", "tcp-echo", "--health", "tcp", "--health-interval-ms", "250",
                  "--health-timeout-ms", "100", "--health-failures", "5"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->health(), "tcp");
  EXPECT_EQ(spec->health_interval_ms(), 250u);
  EXPECT_EQ(spec->health_timeout_ms(), 100u);
  EXPECT_EQ(spec->health_failures(), 5u);
  // Validating again changes nothing.
  EXPECT_EQ(ValidateSpec(*spec)->SerializeAsString(), spec->SerializeAsString());
}

TEST(HealthModeTest, RefusesWhatCannotWork) {
  EXPECT_EQ(Message({"--health", "http:/", "--", "x"}),
            "health http:/ probes the first socket, which must be a TCP listener: give a --listen "
            "address");
  EXPECT_EQ(Message({"--protocol", "udp-echo", "--health", "tcp"}),
            "health tcp probes the first socket, which must be a TCP listener: give a --listen "
            "address");
  EXPECT_EQ(Message({"--health-failures", "3"}),
            "health_interval_ms, health_timeout_ms and health_failures need a health check "
            "(--health http:/PATH or tcp)");
  EXPECT_EQ(Message({"--health", "tcp", "--health-failures", "101"}),
            "health_failures 101 is above the limit of 100");
  EXPECT_EQ(Message({"--health", "ping"}), "unknown health check \"ping\"; use http:/PATH or tcp");
  EXPECT_THROW(FromCtl({"--memory-max", "lots"}), CLI::ValidationError);
}

}  // namespace
}  // namespace corral::spec
