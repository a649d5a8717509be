// The status forms of the runtime's blocking calls: what handler code calls (the handler SDK
// exposes these), so that a handler sees one error channel under every model.
//
// Inside the runtime a Kill or a Timeout is an exception thrown at the greenlet's blocking point
// (GreenletExit, TimeoutExpired), as in greenlet and gevent; the ported suites rely on that. A
// handler written against absl::Status must not have to let exceptions pass, and one with a
// catch-all would otherwise swallow its own kill and keep a drain waiting. So the calls here
// convert at the boundary:
//   - GreenletExit (Kill, the drain's cut, the hub's shutdown) -> CANCELLED;
//   - TimeoutExpired (a coro::Timeout around the call expired) -> DEADLINE_EXCEEDED, the same
//     code a call's own deadline gives. The Timeout's owner learns it from Timeout::expired().
// A cancellation is sticky: once the greenlet was killed (Task::Kill, or a GreenletExit reached
// one of these calls), every later call from it returns CANCELLED at once, without running its
// syscall or parking, so a handler that ignores the status and calls again still ends.
// Other exceptions (InvalidSwitch, std::logic_error from misuse) are bugs, not outcomes: they
// pass.
//
// Thread affinity: call from a greenlet on a hub thread, as the calls they wrap.
#pragma once

#include <sys/socket.h>

#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "servers/coro/deadline.h"
#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"
#include "servers/coro/timeout.h"

namespace corral::coro::nothrow {

// Whether the current greenlet was killed: the calls below then return CANCELLED at once.
inline bool Cancelled() { return Hub::Cancelled(); }

// CANCELLED / DEADLINE_EXCEEDED for `action` on `fd` (-1: no descriptor), in the usual shape:
// "read fd 7: cancelled: the greenlet was killed".
absl::Status CancelledError(const char* action, int fd);
absl::Status TimeoutError(const char* action, int fd);

// Runs the blocking call `fn` (returning absl::Status or absl::StatusOr<T>) and returns its
// result, or the status a kill or a Timeout becomes (see the file comment). `action` and `fd`
// name the call in those statuses; they are only formatted on that path.
template <typename F>
auto Call(const char* action, int fd, F&& fn) -> std::invoke_result_t<F> {
  if (Cancelled()) [[unlikely]] {
    return CancelledError(action, fd);
  }
  try {
    return std::forward<F>(fn)();
  } catch (const GreenletExit&) {
    Hub::MarkCancelled(Greenlet::Current());
    return CancelledError(action, fd);
  } catch (const TimeoutExpired&) {
    return TimeoutError(action, fd);
  }
}

// Sleeps at least `d` (zero or less: yields once). OK, CANCELLED or DEADLINE_EXCEEDED (a
// Timeout expired first).
absl::Status Sleep(Clock::duration d);

// coro::Accept (socket_calls.h) with the same results, plus CANCELLED and, for a Timeout,
// DEADLINE_EXCEEDED.
absl::StatusOr<int> Accept(int listen_fd, Deadline deadline = {}, sockaddr_storage* peer = nullptr,
                           socklen_t* peer_len = nullptr);

}  // namespace corral::coro::nothrow
