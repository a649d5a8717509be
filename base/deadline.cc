#include "base/deadline.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "base/syscall_error.h"

namespace corral::base {

int PollTimeoutMs(Deadline deadline) {
  if (deadline == Deadline::max()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, int64_t{1} << 30));
}

absl::Status WaitReady(int fd, short events, Deadline deadline) {
  pollfd pfd{fd, events, 0};
  for (;;) {
    const int timeout_ms = PollTimeoutMs(deadline);
    if (timeout_ms == 0) return absl::DeadlineExceededError("timed out");
    int n = ::poll(&pfd, 1, timeout_ms);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) return SyscallError("poll", errno);
  }
}

}  // namespace corral::base
