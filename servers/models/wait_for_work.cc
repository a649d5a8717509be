#include "servers/models/wait_for_work.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace corral::models {

Wake WaitForWork(int stop_fd, int work_fd, int finished_fd, int timeout_ms) {
  pollfd fds[3] = {{stop_fd, POLLIN, 0}, {work_fd, POLLIN, 0}, {finished_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 3, timeout_ms);  // poll ignores entries whose fd is -1
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Wake::kTimeout;
    if (fds[0].revents != 0) return Wake::kStop;
    if (fds[1].revents != 0) return Wake::kWork;
    return Wake::kFinished;
  }
}

Accepted AcceptConnection(int listener) {
  Accepted accepted;
  for (;;) {
    // Blocking, as the worker's BlockingStream wants it (an accepted socket does not inherit the
    // listener's O_NONBLOCK), which spares the worker two fcntl calls per connection.
    accepted.fd.Reset(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (accepted.fd) {
      net::SetNoDelay(accepted.fd.get());
      return accepted;
    }
    if (errno == EINTR) continue;
    accepted.err = errno;
    accepted.error = net::ClassifyAcceptErrno(errno);
    return accepted;
  }
}

}  // namespace corral::models
