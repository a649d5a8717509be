// SleepUntil: the cooperative sleep. Parks the greenlet on a hub, blocks the thread elsewhere.
//
// Thread affinity: any thread or greenlet.
#pragma once

#include "absl/status/status.h"
#include "base/deadline.h"

namespace corral::cooperative {

// Returns OK at `deadline` (a deadline already passed yields once on a hub, returns at once
// elsewhere); DEADLINE_EXCEEDED when an open timeout scope of the task ends first; CANCELLED
// when the greenlet was killed (at once if it already had been).
absl::Status SleepUntil(base::Deadline deadline);

}  // namespace corral::cooperative
