#include "servers/net/blocking_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "base/deadline.h"
#include "base/syscall_error.h"
#include "servers/net/polling_stream.h"

namespace corral::net {
namespace {

void MakeBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

}  // namespace

BlockingStream::BlockingStream(base::UniqueFd fd) : owned_(std::move(fd)), fd_(owned_.get()) {
  MakeBlocking(fd_);
}

BlockingStream::BlockingStream(base::UniqueFd fd, Accepted known)
    : owned_(std::move(fd)), fd_(owned_.get()), armed_(known.listener_receive_timeout) {}

BlockingStream::BlockingStream(int fd) : fd_(fd) { MakeBlocking(fd_); }

BlockingStream::BlockingStream(int fd, Accepted known)
    : fd_(fd), armed_(known.listener_receive_timeout) {}

absl::Status BlockingStream::ArmReceiveTimeout(Deadline deadline) {
  Clock::duration wanted{};  // zero: wait forever
  if (deadline != Deadline::max()) {
    wanted = deadline - Clock::now();
    // Below a microsecond the kernel would read the value as "no timeout".
    if (wanted < std::chrono::microseconds(1)) {
      return absl::DeadlineExceededError("timed out");
    }
  }
  // Kept unless it could end the recv more than the slack after the deadline: one that ends
  // sooner only wakes the recv early, and DoRead then re-arms for the rest. So reads with fresh
  // deadlines of one length (an idle timeout counted from each read) arm once, whichever way
  // the clock rounds, and a listener's shorter timeout inherited by an accepted socket serves.
  const bool keep =
      armed_ == wanted || (armed_ != kUnknownTimeout && armed_ != Clock::duration::zero() &&
                           (wanted == Clock::duration::zero() || armed_ <= wanted + kTimeoutSlack));
  if (keep) return absl::OkStatus();
  auto micros = std::chrono::ceil<std::chrono::microseconds>(wanted).count();
  timeval tv{static_cast<time_t>(micros / 1'000'000), static_cast<suseconds_t>(micros % 1'000'000)};
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    return base::SyscallError("setsockopt", errno);
  }
  armed_ = wanted;
  return absl::OkStatus();
}

absl::StatusOr<size_t> BlockingStream::DoRead(void* buf, size_t len, Deadline deadline) {
  for (;;) {
    if (absl::Status armed = ArmReceiveTimeout(deadline); !armed.ok()) return armed;
    if (before_receive_) before_receive_();
    ssize_t n = ::recv(fd_, buf, len, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN) {
      armed_ = kUnknownTimeout;  // it ran out: Arm decides whether the deadline has, and re-arms
    } else if (errno != EINTR) {
      return base::SyscallError("read", errno);
    }
  }
}

absl::Status BlockingStream::DoWriteAllV(iovec* iov, int count, Deadline deadline) {
  return WriteAllVWith(fd_, iov, count,
                       [this, deadline] { return base::WaitReady(fd_, POLLOUT, deadline); });
}

absl::Status BlockingStream::DoSendFile(int file_fd, off_t offset, size_t count,
                                        Deadline deadline) {
  // sendfile has no MSG_DONTWAIT, and SO_SNDTIMEO restarts with every partial send (a client
  // reading a byte now and then would hold it past any deadline): the socket is non-blocking
  // for the transfer, which waits in poll(2) as PollingStream does. Two fcntl calls per file
  // chunk cost nothing beside the chunk.
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
    return base::SyscallError("fcntl", errno);
  }
  absl::Status sent = SendFileWith(fd_, file_fd, offset, count, [this, deadline] {
    return base::WaitReady(fd_, POLLOUT, deadline);
  });
  ::fcntl(fd_, F_SETFL, flags);
  return sent;
}

}  // namespace corral::net
