// Deadlines: the one way Corral bounds a wait. A deadline is a point on the steady clock, so
// a wait is never stretched or cut by a change of the wall clock; Deadline::max() waits for
// ever. WaitReady is the one poll-with-deadline the code shares.
#pragma once

#include <chrono>

#include "absl/status/status.h"

namespace corral::base {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline DeadlineAfter(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }

// The timeout argument of poll(2) or epoll_wait(2) for a wait until `deadline`: -1 for
// Deadline::max(), 0 once it has passed, otherwise the milliseconds left rounded up (a wait
// never ends before its deadline), at most 2^30.
int PollTimeoutMs(Deadline deadline);

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT; POLLHUP and POLLERR count as ready,
// so the caller's next call reports them). DEADLINE_EXCEEDED ("timed out") when `deadline`
// passes first; a poll(2) failure other than EINTR comes back as its SyscallError.
absl::Status WaitReady(int fd, short events, Deadline deadline);

}  // namespace corral::base
