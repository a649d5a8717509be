#include "servers/models/accept_connection.h"

#include <sys/socket.h>

#include <cerrno>

namespace corral::models {

Accepted AcceptConnection(int listener) {
  Accepted accepted;
  for (;;) {
    // Blocking, as the worker's BlockingStream wants it (an accepted socket does not inherit the
    // listener's O_NONBLOCK), which spares the worker two fcntl calls per connection.
    accepted.fd.Reset(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (accepted.fd) return accepted;
    if (errno == EINTR) continue;
    accepted.err = errno;
    accepted.error = net::ClassifyAcceptErrno(errno);
    return accepted;
  }
}

}  // namespace corral::models
