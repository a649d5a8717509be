// The rollout gate's judgement (agent/rollout_gate.h): the window's own figures (the second
// read minus the first), against the gates; too few requests follow the documented rule.
#include "agent/rollout_gate.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

// A read of one process's scoreboard with `requests` served so far, `errors` of them failed,
// and `latency_ns` for each of `fresh` of them (the rest recorded as 1 ms).
stats::Snapshot Read(uint64_t requests, uint64_t errors, uint64_t fresh = 0,
                     uint64_t latency_ns = 0) {
  stats::Snapshot snapshot;
  snapshot.identity = {.server_pid = 42, .start_time_unix_ns = 1, .generation = 1};
  snapshot.totals.requests = requests;
  snapshot.totals.errors[static_cast<size_t>(stats::ErrorKind::kProtocol)] = errors;
  snapshot.latency.Record(1'000'000, requests - fresh);
  if (fresh > 0) snapshot.latency.Record(latency_ns, fresh);
  return snapshot;
}

spec::RolloutGates Gates(double max_error_rate, uint32_t max_p99_ms) {
  spec::RolloutGates gates;
  gates.check_ms = 1000;
  gates.max_error_rate = max_error_rate;
  gates.max_p99_ms = max_p99_ms;
  return gates;
}

TEST(RolloutGateTest, JudgesTheWindowNotTheLifetime) {
  // 1000 fast requests before the window; in it, 100 more, 10 of them at 84 ms.
  const stats::Snapshot base = Read(1000, 0);
  const stats::Snapshot cur = Read(1100, 0, 10, 84'000'000);
  GateVerdict verdict = JudgeWindow(Gates(0, 50), base, cur);
  EXPECT_FALSE(verdict.pass);
  EXPECT_TRUE(verdict.judged);
  EXPECT_EQ(verdict.summary, "p99 84 ms > 50 ms (100 requests)");
  // The lifetime p99 (10 slow of 1100) would have passed.
  EXPECT_TRUE(JudgeWindow(Gates(0, 100), base, cur).pass);
}

TEST(RolloutGateTest, ErrorRateIsErrorsPerRequestInTheWindow) {
  const stats::Snapshot base = Read(1000, 100);  // 10 % before: not this window's
  GateVerdict bad = JudgeWindow(Gates(0.01, 0), base, Read(1200, 150));
  EXPECT_FALSE(bad.pass);
  EXPECT_EQ(bad.summary, "error rate 25 % > 1 % (50 of 200 requests)");
  GateVerdict good = JudgeWindow(Gates(0.01, 0), base, Read(1200, 100));
  EXPECT_TRUE(good.pass);
  EXPECT_TRUE(good.judged);
  EXPECT_EQ(good.summary, "200 requests, 0 error(s), p99 1.0 ms");
}

TEST(RolloutGateTest, TooFewRequestsPassUnjudgedUnlessRequired) {
  spec::RolloutGates gates = Gates(0.01, 50);
  const stats::Snapshot base = Read(10, 0);
  const stats::Snapshot cur = Read(13, 3, 3, 900'000'000);  // all slow and failed, but 3
  GateVerdict verdict = JudgeWindow(gates, base, cur);
  EXPECT_TRUE(verdict.pass);
  EXPECT_FALSE(verdict.judged);
  EXPECT_EQ(verdict.summary,
            "not judged: 3 request(s) in the check, fewer than 20 (--min-requests)");
  gates.require_requests = true;
  verdict = JudgeWindow(gates, base, cur);
  EXPECT_FALSE(verdict.pass);
  EXPECT_EQ(verdict.summary, "3 request(s) in the check, fewer than 20 (--min-requests)");
}

TEST(RolloutGateTest, AnotherProcessInTheWindowFails) {
  stats::Snapshot cur = Read(100, 0);
  cur.identity.server_pid = 43;
  EXPECT_FALSE(JudgeWindow(Gates(0.01, 50), Read(10, 0), cur).pass);
}

}  // namespace
}  // namespace corral::agent
