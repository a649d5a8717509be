#include "servers/net/polling_datagram_sender.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "servers/net/polling_stream.h"
#include "servers/net/syscall_error.h"

namespace corral::net {

absl::Status PollingDatagramSender::SendTo(const void* data, size_t size, const Address& peer,
                                           Deadline deadline) {
  for (;;) {
    if (::sendto(fd_, data, size, MSG_NOSIGNAL, peer.sockaddr_ptr(), peer.length()) >= 0) {
      return absl::OkStatus();
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return SyscallError("sendto " + peer.ToString(), errno);
    if (absl::Status ready = PollUntil(fd_, POLLOUT, deadline); !ready.ok()) return ready;
  }
}

}  // namespace corral::net
