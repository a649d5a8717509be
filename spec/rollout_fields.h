// The rollout gate fields of a ServerSpec (issue 22 item 3): how long a reload watches each new
// instance once it is READY (rollout_check_ms), the error rate and p99 latency that roll the
// reload back, and how many requests the window needs before its figures are judged. A reload
// may override them for its run (ReloadRequest). Validation and the gates' effective values
// only; the agent runs the gate (agent/rollout_gate.h). Pure.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "corral/v1/agent.pb.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {

inline constexpr uint32_t kDefaultRolloutMinRequests = 20;
inline constexpr uint32_t kMaxRolloutCheckMs = 600'000;
inline constexpr uint32_t kMaxRolloutP99Ms = 600'000;
inline constexpr uint32_t kMaxRolloutMinRequests = 1'000'000;

// The gates one reload applies. check_ms 0: no window, every READY instance passes at once.
struct RolloutGates {
  uint32_t check_ms = 0;
  double max_error_rate = 0;  // 0: not gated
  uint32_t max_p99_ms = 0;    // 0: not gated
  uint32_t min_requests = kDefaultRolloutMinRequests;
  bool require_requests = false;
};

// Checks the rollout fields of `spec` and fills rollout_min_requests's default when a window is
// set. `command_server`: it has no scoreboard, so error-rate and p99 gates are refused (its
// window is judged by its health probe). Errors name the field.
absl::Status CheckRolloutFields(v1::ServerSpec& spec, bool command_server);

// The spec's gates with the overrides a ReloadRequest carries; INVALID_ARGUMENT when an
// override is out of range or gates a command server by figures it has not.
absl::StatusOr<RolloutGates> GatesFor(const v1::ServerSpec& spec, const v1::ReloadRequest& reload);
RolloutGates GatesOf(const v1::ServerSpec& spec);

}  // namespace corral::spec
