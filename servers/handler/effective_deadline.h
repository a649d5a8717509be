// How a handler's deadlines and outcomes cross the C boundary: every deadline a host call
// receives goes through EffectiveDeadline (one place, so that a timeout scope can cap them all),
// and every absl::Status a host call gets back becomes a corral_status through ToCorralStatus.
#pragma once

#include "absl/status/status.h"
#include "base/deadline.h"
#include "corral/handler.h"

namespace corral::handler {

// corral_deadline is nanoseconds on CLOCK_MONOTONIC, which is what base::Clock (steady_clock)
// counts on Linux, so the conversion is exact; CORRAL_NO_DEADLINE is Deadline::max().
// It also applies the calling task's open timeout scopes (cooperative::CapByScope): the
// earliest wins.
base::Deadline EffectiveDeadline(corral_deadline deadline);
// The conversion alone, for the cooperative helpers, which apply the scopes themselves (a wait
// a scope ends is TIMEOUT there, not a wait that reached its own deadline).
base::Deadline FromCorralDeadline(corral_deadline deadline);

// host->now(): the current CLOCK_MONOTONIC time in nanoseconds.
corral_deadline NowNs();

// OK -> CORRAL_OK, DEADLINE_EXCEEDED -> TIMEOUT, CANCELLED -> CANCELLED, UNAVAILABLE (reset,
// broken pipe, the peer closed while we wrote) -> BROKEN, INVALID_ARGUMENT -> INVALID,
// FAILED_PRECONDITION (a closed cooperative queue) -> QUEUE_CLOSED; anything
// else is CORRAL_ERROR, and is logged here with `action` (the host promises to log what).
corral_status ToCorralStatus(const absl::Status& status, const char* action);

}  // namespace corral::handler
