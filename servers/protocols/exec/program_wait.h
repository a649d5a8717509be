// The two ways a worker waits for its connection's program (program.h) to exit, one per kind
// of worker: a blocking wait for workers that own an OS thread (the fork and thread models),
// and a cooperative one that parks a greenlet on its hub (the coroutine model), so a hub goes on
// serving its other connections meanwhile.
#pragma once

#include <initializer_list>

#include "base/deadline.h"

namespace corral::protocols::exec {

// What ended a wait.
enum class WaitEnd {
  kExited,     // the program exited (its pidfd is readable)
  kDeadline,   // `deadline` passed first
  kDrain,      // one of the drain descriptors became readable first
  kCancelled,  // cooperative only: the greenlet was killed (the drain's cut, the hub's end)
};

// Blocks the calling thread in poll(2) until `pidfd` or one of `drain_fds` (-1 entries are
// skipped) is readable, or `deadline`. EINTR is retried.
WaitEnd WaitBlocking(int pidfd, std::initializer_list<int> drain_fds, base::Deadline deadline);

// Parks the calling greenlet until `pidfd` is readable or `deadline`; the hub runs others
// meanwhile. A wake-up is checked with poll(2) before it counts as the exit: a descriptor
// number can stay registered with the hub's epoll under its old file while another process
// still holds that file (a spawned child before its exec, a program holding its connection),
// and that file's events then arrive under the pidfd's number. Never throws: a kill is kCancelled,
// and sticks (coro/nothrow.h). The caller must close `pidfd` with coro::Close. Hub thread only.
WaitEnd WaitCooperative(int pidfd, base::Deadline deadline);

}  // namespace corral::protocols::exec
