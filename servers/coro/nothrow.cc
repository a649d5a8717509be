#include "servers/coro/nothrow.h"

#include "servers/coro/socket_calls.h"

namespace corral::coro::nothrow {
namespace {

std::string Object(const char* action, int fd) {
  return fd < 0 ? std::string(action) : std::string(action) + " fd " + std::to_string(fd);
}

}  // namespace

absl::Status CancelledError(const char* action, int fd) {
  return absl::CancelledError(Object(action, fd) + ": cancelled: the greenlet was killed");
}

absl::Status TimeoutError(const char* action, int fd) {
  return absl::DeadlineExceededError(Object(action, fd) + ": deadline exceeded: timeout expired");
}

absl::Status Sleep(Clock::duration d) {
  return Call("sleep", -1, [d] {
    coro::Sleep(d);
    return absl::OkStatus();
  });
}

absl::StatusOr<int> Accept(int listen_fd, Deadline deadline, sockaddr_storage* peer,
                           socklen_t* peer_len) {
  return Call("accept", listen_fd,
              [&] { return coro::Accept(listen_fd, deadline, peer, peer_len); });
}

}  // namespace corral::coro::nothrow
