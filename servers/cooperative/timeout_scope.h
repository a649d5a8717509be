// Timeout scopes: "every wait of this task ends by then". A scope belongs to the task that
// pushed it (the greenlet on a hub, the thread elsewhere: where.h); scopes nest, and the
// earliest deadline of the task's open scopes bounds each of its waits. The cooperative
// helpers, and the SDK's stream calls, pass their deadline through CapByScope.
//
// A task must pop what it pushed before it ends: scopes are kept per task in a thread-local
// table, so a greenlet that died with scopes open would leave them to whichever greenlet next
// gets its address (the C++ TimeoutScope of corral/cooperative.hpp pops in its destructor).
//
// Thread affinity: the calling task's own scopes only.
#pragma once

#include "base/deadline.h"

namespace corral::cooperative {

// Opens a scope ending at `deadline` for the calling task.
void PushTimeout(base::Deadline deadline);
// Closes the calling task's innermost scope; a no-op when it has none.
void PopTimeout();
// min(deadline, the earliest open scope of the calling task). One thread-local read when no
// task of this thread has a scope open.
base::Deadline CapByScope(base::Deadline deadline);

}  // namespace corral::cooperative
