#include "agent/systemd_ready.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"

namespace corral::agent {

std::string TakeNotifySocket() {
  const char* value = std::getenv("NOTIFY_SOCKET");
  std::string path = value != nullptr ? value : "";
  ::unsetenv("NOTIFY_SOCKET");
  return path;
}

absl::Status SendReady(const std::string& socket_path, const std::string& status) {
  if (socket_path.empty()) return absl::OkStatus();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    return absl::InvalidArgumentError(
        absl::StrCat("notify systemd at ", socket_path, ": NOTIFY_SOCKET is too long"));
  }
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (socket_path[0] == '@') address.sun_path[0] = '\0';  // the abstract namespace
  const socklen_t length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return base::SyscallError("notify systemd: socket", errno);
  const std::string message =
      absl::StrCat("READY=1\nMAINPID=", ::getpid(), "\nSTATUS=", status, "\n");
  if (::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&address), length) < 0) {
    return base::SyscallError("notify systemd at " + socket_path, errno);
  }
  return absl::OkStatus();
}

}  // namespace corral::agent
