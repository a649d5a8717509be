#include "servers/net/polling_datagram_sender.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "base/deadline.h"
#include "base/syscall_error.h"
#include "servers/net/polling_stream.h"

namespace corral::net {

absl::Status PollingDatagramSender::SendTo(const void* data, size_t size, const Address& peer,
                                           Deadline deadline) {
  for (;;) {
    if (::sendto(fd_, data, size, MSG_NOSIGNAL, peer.sockaddr_ptr(), peer.length()) >= 0) {
      CountSent(absl::OkStatus(), size);
      return absl::OkStatus();
    }
    if (errno == EINTR) continue;
    absl::Status failed = errno == EAGAIN ? base::WaitReady(fd_, POLLOUT, deadline)
                                          : base::SyscallError("sendto " + peer.ToString(), errno);
    if (!failed.ok()) {
      CountSent(failed, size);
      return failed;
    }
  }
}

}  // namespace corral::net
