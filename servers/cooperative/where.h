// Where the caller runs, which decides how a cooperative helper waits (docs/design.md,
// decision 19): in a greenlet spawned on a coroutine hub it parks that greenlet, so the hub
// serves others meanwhile; anywhere else (a plain thread, a forked worker's thread, the root
// greenlet of a hub thread, which has nobody to hand the thread to) it blocks the thread.
//
// Thread affinity: any thread; the answer is about the calling thread and greenlet.
#pragma once

#include "absl/status/status.h"
#include "servers/coro/hub.h"

namespace corral::cooperative {

// The hub whose greenlet is running now, or null when the caller should block its thread.
// Never creates a hub.
coro::Hub* CurrentHub();

// CANCELLED ("`action`: cancelled: ...") when the calling greenlet was killed, OK otherwise
// (always for a thread). Every helper asks first, even one that would not wait, so that a
// cancellation is sticky: once a call returned CANCELLED, every later call does too.
absl::Status CheckNotCancelled(const char* action);

// Identifies the calling task for per-task state (timeout scopes): the running greenlet on a
// hub, null for a plain thread (whose state is then simply thread-local).
const void* CurrentTaskKey();

}  // namespace corral::cooperative
