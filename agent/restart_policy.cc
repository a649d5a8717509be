#include "agent/restart_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "servers/exit_codes.h"

namespace corral::agent {

std::chrono::milliseconds BackoffDelay(uint32_t failures, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double jitter) {
  // Doubling past 2^20 x initial exceeds any cap we accept; stop there to avoid overflow.
  uint32_t doublings = std::min<uint32_t>(failures == 0 ? 0 : failures - 1, 20);
  double base = std::min(static_cast<double>(initial.count()) * std::ldexp(1.0, doublings),
                         static_cast<double>(max.count()));
  double scaled = base * (1.0 + kJitter * std::clamp(jitter, -1.0, 1.0));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(scaled)));
}

RestartDecision DecideAfterExit(const v1::ServerSpec& spec, const ExitInfo& exit, bool was_ready,
                                std::chrono::milliseconds uptime, uint32_t failures_before,
                                double jitter) {
  RestartDecision decision;
  const std::string how = exit.ToString();
  if (!exit.unknown && !exit.signaled && exit.code == kExitBadConfig) {
    decision.event = ServerEvent::kExitedBadConfig;
    decision.consecutive_failures = failures_before;
    decision.reason = absl::StrCat(
        "exited with code 78 (bad configuration); not restarted: fix the spec, then restart; see "
        "`corralctl logs ",
        spec.name(), "`");
    return decision;
  }
  const bool clean = !exit.unknown && !exit.signaled && exit.code == 0;
  const bool stable = was_ready && uptime >= std::chrono::milliseconds(spec.stable_after_ms());

  v1::RestartPolicy policy = spec.restart_policy();
  if (policy == v1::RESTART_POLICY_UNSPECIFIED) policy = v1::RESTART_ALWAYS;
  if (clean && policy != v1::RESTART_ALWAYS) {
    decision.event = ServerEvent::kExitedDone;
    decision.consecutive_failures = 0;
    return decision;
  }
  if (policy == v1::RESTART_NEVER) {
    decision.event = ServerEvent::kExitedGiveUp;
    decision.consecutive_failures = failures_before + 1;
    decision.reason = absl::StrCat(how, "; restart policy is never");
    return decision;
  }

  // Any exit of a run that did not last counts, even code 0 under "always": otherwise a server
  // that exits at once would be respawned in a storm.
  decision.consecutive_failures = (stable ? 0 : failures_before) + 1;
  if (decision.consecutive_failures >= spec.max_failures()) {
    decision.event = ServerEvent::kExitedGiveUp;
    decision.reason = absl::StrCat("gave up after ", decision.consecutive_failures,
                                   " consecutive failures; the last one ",
                                   was_ready ? "" : "before ready: ", how);
    return decision;
  }
  decision.event = ServerEvent::kExitedRestart;
  // A crash after a long healthy run is most likely a one-off: come back at once.
  decision.delay = stable ? std::chrono::milliseconds(0)
                          : BackoffDelay(decision.consecutive_failures,
                                         std::chrono::milliseconds(spec.backoff_initial_ms()),
                                         std::chrono::milliseconds(spec.backoff_max_ms()), jitter);
  decision.reason = absl::StrCat(was_ready ? "died: " : "died before ready: ", how);
  return decision;
}

}  // namespace corral::agent
