#include "servers/coro/socket_calls.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "servers/coro/hub.h"
#include "servers/coro/poller.h"

namespace corral::coro {
namespace {

using Interest = Poller::Interest;

constexpr char kErrnoPayload[] = "corral.coro/errno";

// The one place errno becomes a Status.
absl::Status SyscallError(const char* call, int fd, int err) {
  const absl::StatusCode code =
      err == ETIMEDOUT ? absl::StatusCode::kUnavailable : absl::ErrnoToStatusCode(err);
  absl::Status s(code, std::string(call) + " fd " + std::to_string(fd) + ": " + std::strerror(err));
  s.SetPayload(kErrnoPayload, absl::Cord(std::to_string(err)));
  return s;
}

absl::Status Prefixed(const char* call, const absl::Status& s) {
  return absl::Status(s.code(), std::string(call) + ": " + std::string(s.message()));
}

// Runs `syscall` (returning ssize_t, -1 + errno on failure) until it succeeds, fails for real,
// or `deadline` passes while it would block.
template <typename Syscall>
absl::StatusOr<size_t> Cooperate(const char* call, int fd, Interest interest, Deadline deadline,
                                 Syscall syscall) {
  for (;;) {
    const ssize_t n = syscall();
    if (n >= 0) return static_cast<size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EAGAIN && err != EWOULDBLOCK) return SyscallError(call, fd, err);
    if (absl::Status s = Hub::Current().WaitFdAfterEagain(fd, interest, deadline); !s.ok()) {
      return Prefixed(call, s);
    }
  }
}

template <typename Syscall>
absl::Status TransferAll(const char* call, int fd, const void* buf, size_t len, Deadline deadline,
                         size_t* done, Syscall syscall) {
  const char* p = static_cast<const char*>(buf);
  size_t sent = 0;
  absl::Status status;
  while (sent < len) {
    absl::StatusOr<size_t> n = Cooperate(call, fd, Interest::kWrite, deadline,
                                         [&] { return syscall(p + sent, len - sent); });
    if (!n.ok()) {
      status = n.status();
      break;
    }
    sent += *n;
  }
  if (done != nullptr) *done = sent;
  return status;
}

}  // namespace

absl::StatusOr<int> Accept(int listen_fd, Deadline deadline, sockaddr_storage* peer,
                           socklen_t* peer_len) {
  for (;;) {
    socklen_t len = sizeof(sockaddr_storage);
    const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(peer), peer ? &len : nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Hub::Current().ForgetFd(fd);  // the number may have been closed without coro::Close
      if (peer_len != nullptr) *peer_len = peer ? len : 0;
      return fd;
    }
    const int err = errno;
    switch (err) {
      case EINTR:
      case ECONNABORTED:  // the peer gave up while queued: not our error
      case EPROTO:
        continue;
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
        if (absl::Status s = Hub::Current().WaitFdAfterEagain(listen_fd, Interest::kRead, deadline);
            !s.ok()) {
          return Prefixed("accept", s);
        }
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM: {
        absl::Status s = SyscallError("accept", listen_fd, err);
        return absl::Status(absl::StatusCode::kResourceExhausted, s.message());
      }
      default:
        return SyscallError("accept", listen_fd, err);
    }
  }
}

absl::Status Connect(int fd, const sockaddr* addr, socklen_t addr_len, Deadline deadline) {
  Hub& hub = Hub::Current();
  hub.ForgetFd(fd);  // a new socket, whose number may have been closed without coro::Close
  if (connect(fd, addr, addr_len) == 0) return absl::OkStatus();
  const int err = errno;
  // After EINTR the connection attempt carries on asynchronously, just like EINPROGRESS.
  if (err != EINPROGRESS && err != EINTR && err != EALREADY) {
    return SyscallError("connect", fd, err);
  }
  if (absl::Status s = hub.WaitFdAfterEagain(fd, Interest::kWrite, deadline); !s.ok()) {
    return Prefixed("connect", s);
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
    return SyscallError("connect (getsockopt SO_ERROR)", fd, errno);
  }
  if (so_error != 0) return SyscallError("connect", fd, so_error);
  return absl::OkStatus();
}

absl::StatusOr<size_t> Read(int fd, void* buf, size_t len, Deadline deadline) {
  return Cooperate("read", fd, Interest::kRead, deadline, [&] { return read(fd, buf, len); });
}

absl::StatusOr<size_t> Recv(int fd, void* buf, size_t len, Deadline deadline, int flags) {
  return Cooperate("recv", fd, Interest::kRead, deadline,
                   [&] { return recv(fd, buf, len, flags | MSG_DONTWAIT); });
}

absl::StatusOr<size_t> RecvStream(int fd, void* buf, size_t len, Deadline deadline) {
  Hub& hub = Hub::Current();
  if (len > 0 && hub.KnownUnreadable(fd)) {
    // A deadline that has passed (or passes while parked) still gets its one try below, as in
    // every call here: the belief may be stale, with the data's edge not yet polled.
    if (absl::Status s = hub.WaitFdAfterEagain(fd, Interest::kRead, deadline);
        !s.ok() && !absl::IsDeadlineExceeded(s)) {
      return Prefixed("recv", s);
    }
  }
  absl::StatusOr<size_t> n = Recv(fd, buf, len, deadline);
  if (n.ok() && *n > 0 && *n < len) hub.SawUnreadable(fd);
  return n;
}

absl::Status WriteAll(int fd, const void* buf, size_t len, Deadline deadline, size_t* done) {
  return TransferAll("write", fd, buf, len, deadline, done,
                     [&](const char* p, size_t n) { return write(fd, p, n); });
}

absl::Status SendAll(int fd, const void* buf, size_t len, Deadline deadline, size_t* done) {
  return TransferAll("send", fd, buf, len, deadline, done, [&](const char* p, size_t n) {
    return send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
  });
}

absl::StatusOr<size_t> RecvFrom(int fd, void* buf, size_t len, sockaddr_storage* from,
                                socklen_t* from_len, Deadline deadline) {
  socklen_t addr_len = sizeof(sockaddr_storage);
  absl::StatusOr<size_t> n = Cooperate("recvfrom", fd, Interest::kRead, deadline, [&] {
    addr_len = sizeof(sockaddr_storage);
    return recvfrom(fd, buf, len, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(from),
                    from ? &addr_len : nullptr);
  });
  if (n.ok() && from_len != nullptr) *from_len = from ? addr_len : 0;
  return n;
}

absl::StatusOr<size_t> SendTo(int fd, const void* buf, size_t len, const sockaddr* to,
                              socklen_t to_len, Deadline deadline) {
  return Cooperate("sendto", fd, Interest::kWrite, deadline,
                   [&] { return sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, to_len); });
}

absl::StatusOr<size_t> RecvMany(int fd, mmsghdr* messages, unsigned count, Deadline deadline) {
  // A recvmmsg that fails (EAGAIN included) writes none of the messages, so their capacities
  // are still in place for the retry.
  return Cooperate("recvmmsg", fd, Interest::kRead, deadline,
                   [&] { return recvmmsg(fd, messages, count, MSG_DONTWAIT, nullptr); });
}

absl::Status WaitReadable(int fd, Deadline deadline) {
  return Hub::Current().WaitFd(fd, Interest::kRead, deadline);
}

absl::Status WaitWritable(int fd, Deadline deadline) {
  return Hub::Current().WaitFd(fd, Interest::kWrite, deadline);
}

absl::Status WaitReadableAfterEagain(int fd, Deadline deadline) {
  return Hub::Current().WaitFdAfterEagain(fd, Interest::kRead, deadline);
}

absl::Status WaitWritableAfterEagain(int fd, Deadline deadline) {
  return Hub::Current().WaitFdAfterEagain(fd, Interest::kWrite, deadline);
}

absl::Status Close(int fd) {
  if (fd < 0) return absl::OkStatus();
  Hub::Current().ForgetFd(fd);
  // EINTR: Linux has released the descriptor anyway; retrying could close a reused number.
  if (close(fd) != 0 && errno != EINTR) return SyscallError("close", fd, errno);
  return absl::OkStatus();
}

int ErrnoOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrnoPayload);
  if (!payload) return 0;
  return std::atoi(std::string(*payload).c_str());
}

}  // namespace corral::coro
