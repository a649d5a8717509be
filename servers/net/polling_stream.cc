#include "servers/net/polling_stream.h"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "base/deadline.h"
#include "base/syscall_error.h"

namespace corral::net {

absl::StatusOr<size_t> PollingStream::DoRead(void* buf, size_t len, Deadline deadline) {
  for (;;) {
    ssize_t n = ::recv(fd_, buf, len, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return base::SyscallError("read", errno);
    if (absl::Status ready = base::WaitReady(fd_, POLLIN, deadline); !ready.ok()) return ready;
  }
}

absl::Status WriteAllVWith(int socket_fd, iovec* iov, int count,
                           const std::function<absl::Status()>& wait_writable) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    // sendmsg rather than writev: MSG_NOSIGNAL turns a closed peer into EPIPE, not SIGPIPE.
    ssize_t n = ::sendmsg(socket_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return base::SyscallError("write", errno);
      if (absl::Status ready = wait_writable(); !ready.ok()) return ready;
      continue;
    }
    size_t written = static_cast<size_t>(n);
    while (count > 0 && written >= iov->iov_len) {
      written -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + written;
      iov->iov_len -= written;
    }
  }
  return absl::OkStatus();
}

absl::Status PollingStream::DoWriteAllV(iovec* iov, int count, Deadline deadline) {
  return WriteAllVWith(fd_, iov, count,
                       [this, deadline] { return base::WaitReady(fd_, POLLOUT, deadline); });
}

absl::Status SendFileWith(int socket_fd, int file_fd, off_t offset, size_t count,
                          const std::function<absl::Status()>& wait_writable) {
  while (count > 0) {
    ssize_t n = ::sendfile(socket_fd, file_fd, &offset, count);
    if (n > 0) {
      count -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return absl::DataLossError("sendfile: the file ended early (it shrank)");
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return base::SyscallError("sendfile", errno);
    if (absl::Status ready = wait_writable(); !ready.ok()) return ready;
  }
  return absl::OkStatus();
}

absl::Status PollingStream::DoSendFile(int file_fd, off_t offset, size_t count, Deadline deadline) {
  return SendFileWith(fd_, file_fd, offset, count,
                      [this, deadline] { return base::WaitReady(fd_, POLLOUT, deadline); });
}

}  // namespace corral::net
