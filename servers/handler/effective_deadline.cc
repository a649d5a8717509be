#include "servers/handler/effective_deadline.h"

#include <time.h>

#include <chrono>

#include "servers/cooperative/timeout_scope.h"
#include "spdlog/spdlog.h"

namespace corral::handler {

base::Deadline FromCorralDeadline(corral_deadline deadline) {
  if (deadline == CORRAL_NO_DEADLINE) return base::Deadline::max();
  return base::Deadline(std::chrono::nanoseconds(deadline));
}

base::Deadline EffectiveDeadline(corral_deadline deadline) {
  // An open timeout scope of the calling task (timeout_push) caps every stream call's deadline.
  return cooperative::CapByScope(FromCorralDeadline(deadline));
}

corral_deadline NowNs() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<corral_deadline>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

corral_status ToCorralStatus(const absl::Status& status, const char* action) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return CORRAL_OK;
    case absl::StatusCode::kDeadlineExceeded:
      return CORRAL_TIMEOUT;
    case absl::StatusCode::kCancelled:
      return CORRAL_CANCELLED;
    case absl::StatusCode::kUnavailable:
      return CORRAL_BROKEN;
    case absl::StatusCode::kInvalidArgument:
      return CORRAL_INVALID;
    case absl::StatusCode::kFailedPrecondition:  // a cooperative queue that was closed
      return CORRAL_QUEUE_CLOSED;
    default:
      spdlog::warn("handler {}: {}", action, std::string(status.message()));
      return CORRAL_ERROR;
  }
}

}  // namespace corral::handler
