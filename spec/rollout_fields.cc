#include "spec/rollout_fields.h"

#include <cmath>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "spec/command_validation.h"

namespace corral::spec {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status CheckGates(const RolloutGates& gates, bool command_server) {
  if (gates.check_ms > kMaxRolloutCheckMs) {
    return Invalid(absl::StrCat("rollout_check_ms ", gates.check_ms, " is above the maximum ",
                                kMaxRolloutCheckMs));
  }
  if (!std::isfinite(gates.max_error_rate) || gates.max_error_rate < 0 ||
      gates.max_error_rate > 1) {
    return Invalid(absl::StrCat("rollout_max_error_rate ", gates.max_error_rate,
                                " is not a fraction from 0 to 1 (0.01 is 1 %)"));
  }
  if (gates.max_p99_ms > kMaxRolloutP99Ms) {
    return Invalid(absl::StrCat("rollout_max_p99_ms ", gates.max_p99_ms, " is above the maximum ",
                                kMaxRolloutP99Ms));
  }
  if (gates.min_requests > kMaxRolloutMinRequests) {
    return Invalid(absl::StrCat("rollout_min_requests ", gates.min_requests,
                                " is above the maximum ", kMaxRolloutMinRequests));
  }
  const bool figures = gates.max_error_rate > 0 || gates.max_p99_ms != 0;
  if (figures && gates.check_ms == 0) {
    return Invalid(
        "rollout_max_error_rate and rollout_max_p99_ms judge a check window: set "
        "rollout_check_ms too");
  }
  if (figures && command_server) {
    return Invalid(
        "rollout_max_error_rate and rollout_max_p99_ms read corral-server's scoreboard, which a "
        "command server has not; gate it with --health, probed through the check window");
  }
  return absl::OkStatus();
}

}  // namespace

RolloutGates GatesOf(const v1::ServerSpec& spec) {
  RolloutGates gates;
  gates.check_ms = spec.rollout_check_ms();
  gates.max_error_rate = spec.rollout_max_error_rate();
  gates.max_p99_ms = spec.rollout_max_p99_ms();
  if (spec.rollout_min_requests() != 0) gates.min_requests = spec.rollout_min_requests();
  gates.require_requests = spec.rollout_require_requests();
  return gates;
}

absl::Status CheckRolloutFields(v1::ServerSpec& spec, bool command_server) {
  if (spec.rollout_check_ms() == 0 &&
      (spec.rollout_min_requests() != 0 || spec.rollout_require_requests())) {
    return Invalid("rollout_min_requests and rollout_require_requests need rollout_check_ms");
  }
  if (absl::Status s = CheckGates(GatesOf(spec), command_server); !s.ok()) return s;
  if (spec.rollout_check_ms() != 0 && spec.rollout_min_requests() == 0) {
    spec.set_rollout_min_requests(kDefaultRolloutMinRequests);
  }
  return absl::OkStatus();
}

absl::StatusOr<RolloutGates> GatesFor(const v1::ServerSpec& spec, const v1::ReloadRequest& reload) {
  RolloutGates gates = GatesOf(spec);
  if (reload.has_check_ms()) gates.check_ms = reload.check_ms();
  if (reload.has_max_error_rate()) gates.max_error_rate = reload.max_error_rate();
  if (reload.has_max_p99_ms()) gates.max_p99_ms = reload.max_p99_ms();
  if (reload.has_min_requests()) gates.min_requests = reload.min_requests();
  if (reload.has_require_requests()) gates.require_requests = reload.require_requests();
  if (absl::Status s = CheckGates(gates, IsCommandServer(spec)); !s.ok()) return s;
  return gates;
}

}  // namespace corral::spec
