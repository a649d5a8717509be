// AcceptConnection: one accept4(2) for the fork model's and the pools' accept loops, with errno
// sorted the way the loop must react (net::ClassifyAcceptErrno).
#pragma once

#include "servers/net/socket.h"
#include "base/unique_fd.h"

namespace corral::models {

struct Accepted {
  // The connection or invalid: blocking, CLOEXEC, with the listener's TCP_NODELAY (ListenTcp)
  // and SO_RCVTIMEO (none on the pool and fork listeners: BlockingStream::Accepted{}).
  base::UniqueFd fd;
  net::AcceptError error{};  // why not, when invalid
  int err = 0;               // the errno, when invalid
};

// One accept4(). EAGAIN comes back as kRetry with err == EAGAIN: nothing is pending.
Accepted AcceptConnection(int listener);

}  // namespace corral::models
