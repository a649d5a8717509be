#include "servers/protocols/exec/program_wait.h"

#include <poll.h>

#include <cerrno>

#include "servers/coro/hub.h"
#include "servers/coro/nothrow.h"
#include "servers/coro/socket_calls.h"

namespace corral::protocols::exec {

WaitEnd WaitBlocking(int pidfd, std::initializer_list<int> drain_fds, base::Deadline deadline) {
  pollfd fds[4];
  nfds_t count = 0;
  fds[count++] = {pidfd, POLLIN, 0};
  for (int fd : drain_fds) {
    if (fd >= 0 && count < 4) fds[count++] = {fd, POLLIN, 0};
  }
  for (;;) {
    int ready = ::poll(fds, count, base::PollTimeoutMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      // A timeout, or a poll that cannot fail on valid descriptors: treated as the deadline,
      // which escalates towards the kill rather than spinning.
      if (ready == 0 && base::Clock::now() < deadline) continue;
      return WaitEnd::kDeadline;
    }
    if (fds[0].revents != 0) return WaitEnd::kExited;
    return WaitEnd::kDrain;
  }
}

WaitEnd WaitCooperative(int pidfd, base::Deadline deadline) {
  // A new descriptor, whose number an earlier holder may have left registered with this hub.
  coro::Hub::Current().ForgetFd(pidfd);
  for (;;) {
    absl::Status waited = coro::nothrow::Call("wait for program", pidfd, [&] {
      return coro::WaitReadable(pidfd, coro::Deadline(deadline));
    });
    if (absl::IsCancelled(waited)) return WaitEnd::kCancelled;
    // DEADLINE_EXCEEDED, or an epoll error on a valid pidfd (which cannot happen): escalate.
    if (!waited.ok()) return WaitEnd::kDeadline;
    // The hub may wake a waiter spuriously: only a readable pidfd means the program exited.
    pollfd exited{pidfd, POLLIN, 0};
    if (::poll(&exited, 1, 0) > 0) return WaitEnd::kExited;
  }
}

}  // namespace corral::protocols::exec
