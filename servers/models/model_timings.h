// The waits the fork and thread models (and the coroutine model's hubs) share, each defined
// once and named for what it bounds. The drain's grace after a cut is in drain_policy.h.
#pragma once

#include <chrono>

namespace corral::models {

// How long a loop that takes work rests when the process is out of descriptors or memory
// (accept or receive said EMFILE, ENFILE, ENOBUFS or ENOMEM), instead of spinning on a socket
// that stays readable.
inline constexpr std::chrono::milliseconds kOutOfResourcesBackoff{100};

// How long an idle worker thread (waiting to accept, or parked for the next datagram) lives
// without work before it exits. Long enough to bridge the pauses between a client's bursts;
// short enough that an idle server soon gives back the stacks (and the pages they touched) that
// a burst made it start.
inline constexpr std::chrono::seconds kIdleThreadExit{10};

}  // namespace corral::models
