#include "servers/net/receive_buffer.h"

#include <sys/socket.h>

#include <cerrno>
#include <climits>

#include "base/syscall_error.h"

namespace corral::net {

absl::StatusOr<uint32_t> SetReceiveBuffer(int socket, uint32_t bytes) {
  const int wanted = bytes > INT_MAX ? INT_MAX : static_cast<int>(bytes);
  if (setsockopt(socket, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, sizeof wanted) != 0) {
    if (errno != EPERM) return base::SyscallError("set receive buffer (SO_RCVBUFFORCE)", errno);
    if (setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof wanted) != 0) {
      return base::SyscallError("set receive buffer (SO_RCVBUF)", errno);
    }
  }
  int granted = 0;
  socklen_t len = sizeof granted;
  if (getsockopt(socket, SOL_SOCKET, SO_RCVBUF, &granted, &len) != 0) {
    return base::SyscallError("read back receive buffer (SO_RCVBUF)", errno);
  }
  return static_cast<uint32_t>(granted / 2);
}

}  // namespace corral::net
