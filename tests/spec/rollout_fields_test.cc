// The rollout gate fields (issue 22 item 3): corralctl's flags, their ranges, the default of
// --min-requests, what a command server may not gate on, and a reload's overrides.
#include "spec/rollout_fields.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "spec/spec_validation.h"
#include "tests/spec/spec_from_flags.h"

namespace corral::spec {
namespace {

TEST(RolloutFieldsTest, FlagsSetTheGatesAndMinRequestsDefaultsWithAWindow) {
  absl::StatusOr<v1::ServerSpec> spec =
      FromCtl({"--check-ms", "2000", "--max-error-rate", "0.01", "--max-p99-ms", "50"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->rollout_check_ms(), 2000u);
  EXPECT_DOUBLE_EQ(spec->rollout_max_error_rate(), 0.01);
  EXPECT_EQ(spec->rollout_max_p99_ms(), 50u);
  EXPECT_EQ(spec->rollout_min_requests(), kDefaultRolloutMinRequests);
  EXPECT_EQ(FromCtl({})->rollout_min_requests(), 0u) << "no window, no default";
}

TEST(RolloutFieldsTest, RefusesWhatCannotBeJudged) {
  auto message = [](std::vector<std::string> args) {
    absl::StatusOr<v1::ServerSpec> spec = FromCtl(std::move(args));
    return spec.ok() ? std::string("ok") : std::string(spec.status().message());
  };
  EXPECT_TRUE(absl::StrContains(message({"--max-p99-ms", "50"}), "set rollout_check_ms too"));
  EXPECT_TRUE(absl::StrContains(message({"--check-ms", "100", "--max-error-rate", "2"}),
                                "not a fraction from 0 to 1"));
  EXPECT_TRUE(absl::StrContains(message({"--check-ms", "700000"}), "above the maximum"));
  EXPECT_TRUE(absl::StrContains(message({"--require-requests"}), "need rollout_check_ms"));
  EXPECT_TRUE(absl::StrContains(
      message({"--check-ms", "100", "--max-p99-ms", "5", "--", "python3", "app.py"}),
      "a command server has not"));
  EXPECT_EQ(message({"--check-ms", "100", "--listen", "127.0.0.1:0", "--health", "tcp", "--",
                     "python3", "app.py"}),
            "ok");
}

TEST(RolloutFieldsTest, AReloadOverridesTheSpecsGatesForItsRun) {
  v1::ServerSpec spec = *FromCtl({"--check-ms", "2000", "--max-p99-ms", "50"});
  v1::ReloadRequest reload;
  EXPECT_EQ(GatesFor(spec, reload)->max_p99_ms, 50u);
  reload.set_max_p99_ms(80);
  reload.set_min_requests(5);
  absl::StatusOr<RolloutGates> gates = GatesFor(spec, reload);
  ASSERT_TRUE(gates.ok());
  EXPECT_EQ(gates->check_ms, 2000u);
  EXPECT_EQ(gates->max_p99_ms, 80u);
  EXPECT_EQ(gates->min_requests, 5u);
  reload.set_check_ms(0);
  EXPECT_FALSE(GatesFor(spec, reload).ok()) << "a p99 gate without a window";
}

}  // namespace
}  // namespace corral::spec
