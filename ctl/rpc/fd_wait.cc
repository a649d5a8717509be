#include "ctl/rpc/fd_wait.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "servers/net/syscall_error.h"

namespace corral::ctl::rpc {
namespace {

// poll(2)'s timeout for `deadline`: -1 for none, 0 once it has passed, rounded up otherwise.
int PollTimeoutMs(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(deadline - absl::Now(), absl::Milliseconds(1)));
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

}  // namespace

absl::StatusOr<bool> WaitForFd(int fd, short events, absl::Time deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, PollTimeoutMs(deadline));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return net::SyscallError("poll the agent connection", errno);
  }
}

}  // namespace corral::ctl::rpc
