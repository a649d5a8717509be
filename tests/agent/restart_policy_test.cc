#include "agent/restart_policy.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "spec/spec_validation.h"

namespace corral::agent {
namespace {

using std::chrono::milliseconds;

v1::ServerSpec Spec(v1::RestartPolicy policy) {
  v1::ServerSpec spec;
  spec.set_name("web");
  spec.set_protocol(v1::PROTOCOL_TCP_ECHO);
  spec.set_model(v1::MODEL_THREAD);
  spec.set_listen("127.0.0.1:0");
  spec.set_restart_policy(policy);
  return *spec::ValidateSpec(
      spec);  // fills the defaults: 100 ms doubling to 30 s, 5 failures, 10 s
}

ExitInfo Code(int code) {
  ExitInfo exit;
  exit.code = code;
  return exit;
}

ExitInfo Signal(int signal) {
  ExitInfo exit;
  exit.signaled = true;
  exit.signal = signal;
  return exit;
}

TEST(BackoffDelayTest, DoublesFromInitialUpToTheCap) {
  EXPECT_EQ(BackoffDelay(1, milliseconds(100), milliseconds(1000), 0), milliseconds(100));
  EXPECT_EQ(BackoffDelay(2, milliseconds(100), milliseconds(1000), 0), milliseconds(200));
  EXPECT_EQ(BackoffDelay(3, milliseconds(100), milliseconds(1000), 0), milliseconds(400));
  EXPECT_EQ(BackoffDelay(4, milliseconds(100), milliseconds(1000), 0), milliseconds(800));
  EXPECT_EQ(BackoffDelay(5, milliseconds(100), milliseconds(1000), 0), milliseconds(1000));
  EXPECT_EQ(BackoffDelay(1000, milliseconds(100), milliseconds(1000), 0), milliseconds(1000));
}

TEST(BackoffDelayTest, JitterStaysWithinTwentyPercent) {
  EXPECT_EQ(BackoffDelay(1, milliseconds(100), milliseconds(1000), 1.0), milliseconds(120));
  EXPECT_EQ(BackoffDelay(1, milliseconds(100), milliseconds(1000), -1.0), milliseconds(80));
  EXPECT_EQ(BackoffDelay(5, milliseconds(100), milliseconds(1000), 1.0), milliseconds(1200));
  EXPECT_EQ(BackoffDelay(1, milliseconds(100), milliseconds(1000), 7.0), milliseconds(120));
}

TEST(RestartPolicyTest, QuickCrashesBackOffThenGiveUp) {
  v1::ServerSpec spec = Spec(v1::RESTART_ALWAYS);
  uint32_t failures = 0;
  std::vector<int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    RestartDecision d = DecideAfterExit(spec, Signal(9), true, milliseconds(50), failures, 0);
    ASSERT_EQ(d.event, ServerEvent::kExitedRestart) << i;
    EXPECT_EQ(d.consecutive_failures, failures + 1);
    failures = d.consecutive_failures;
    delays.push_back(d.delay.count());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200, 400, 800}));
  RestartDecision last = DecideAfterExit(spec, Signal(9), true, milliseconds(50), failures, 0);
  EXPECT_EQ(last.event, ServerEvent::kExitedGiveUp);
  EXPECT_EQ(last.consecutive_failures, 5u);
  EXPECT_TRUE(absl::StrContains(last.reason, "gave up after 5 consecutive failures"))
      << last.reason;
  EXPECT_TRUE(absl::StrContains(last.reason, "SIGKILL")) << last.reason;
}

TEST(RestartPolicyTest, CrashAfterAStableRunRestartsAtOnceAndResetsTheCount) {
  v1::ServerSpec spec = Spec(v1::RESTART_ALWAYS);
  RestartDecision d = DecideAfterExit(spec, Signal(11), true, milliseconds(60'000), 4, 0.5);
  EXPECT_EQ(d.event, ServerEvent::kExitedRestart);
  EXPECT_EQ(d.delay, milliseconds(0));
  EXPECT_EQ(d.consecutive_failures, 1u);
}

TEST(RestartPolicyTest, ExitBeforeReadyIsAFailureEvenIfLong) {
  v1::ServerSpec spec = Spec(v1::RESTART_ALWAYS);
  RestartDecision d = DecideAfterExit(spec, Code(1), false, milliseconds(60'000), 0, 0);
  EXPECT_EQ(d.event, ServerEvent::kExitedRestart);
  EXPECT_EQ(d.delay, milliseconds(100));
  EXPECT_TRUE(absl::StrContains(d.reason, "before ready")) << d.reason;
}

TEST(RestartPolicyTest, BadConfigurationCodeFailsUnderEveryPolicy) {
  for (v1::RestartPolicy policy : {v1::RESTART_NEVER, v1::RESTART_ON_FAILURE, v1::RESTART_ALWAYS}) {
    RestartDecision d = DecideAfterExit(Spec(policy), Code(78), true, milliseconds(1), 2, 0);
    EXPECT_EQ(d.event, ServerEvent::kExitedBadConfig);
    EXPECT_EQ(d.consecutive_failures, 2u);
    EXPECT_TRUE(absl::StrContains(d.reason, "bad configuration")) << d.reason;
  }
}

TEST(RestartPolicyTest, CleanExitStopsUnlessAlways) {
  EXPECT_EQ(DecideAfterExit(Spec(v1::RESTART_NEVER), Code(0), true, milliseconds(1), 0, 0).event,
            ServerEvent::kExitedDone);
  EXPECT_EQ(
      DecideAfterExit(Spec(v1::RESTART_ON_FAILURE), Code(0), true, milliseconds(1), 0, 0).event,
      ServerEvent::kExitedDone);
  // Under "always" even a clean exit restarts, and a quick one still counts towards backoff.
  RestartDecision d =
      DecideAfterExit(Spec(v1::RESTART_ALWAYS), Code(0), true, milliseconds(1), 1, 0);
  EXPECT_EQ(d.event, ServerEvent::kExitedRestart);
  EXPECT_EQ(d.delay, milliseconds(200));
}

TEST(RestartPolicyTest, NeverGivesUpOnTheFirstFailure) {
  RestartDecision d =
      DecideAfterExit(Spec(v1::RESTART_NEVER), Code(1), true, milliseconds(1), 0, 0);
  EXPECT_EQ(d.event, ServerEvent::kExitedGiveUp);
  EXPECT_TRUE(absl::StrContains(d.reason, "restart policy is never")) << d.reason;
}

TEST(RestartPolicyTest, OnFailureRestartsFailures) {
  RestartDecision d =
      DecideAfterExit(Spec(v1::RESTART_ON_FAILURE), Code(1), true, milliseconds(1), 0, 0);
  EXPECT_EQ(d.event, ServerEvent::kExitedRestart);
}

TEST(RestartPolicyTest, AdoptedExitWithUnknownStatusIsAFailure) {
  RestartDecision d = DecideAfterExit(Spec(v1::RESTART_ON_FAILURE), ExitInfo::Unknown(absl::Now()),
                                      true, milliseconds(60'000), 0, 0);
  EXPECT_EQ(d.event, ServerEvent::kExitedRestart);
  EXPECT_EQ(d.delay, milliseconds(0));
  EXPECT_TRUE(absl::StrContains(d.reason, "status unknown")) << d.reason;
}

}  // namespace
}  // namespace corral::agent
