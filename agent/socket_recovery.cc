#include "agent/socket_recovery.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "servers/net/socket.h"

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace corral::agent {
namespace {

// The key a socket is matched by: its kind and its local address.
std::string SocketKey(bool udp, const std::string& address) {
  return absl::StrCat(udp ? "udp " : "tcp ", address);
}

// The key of `fd` when it is a socket a server could have been handed (a listening TCP socket or
// a UDP one), or "" for anything else (a connection, a pipe, a file).
std::string KeyOf(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return "";
  if (type == SOCK_STREAM) {
    int listening = 0;
    len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
      return "";
    }
  } else if (type != SOCK_DGRAM) {
    return "";
  }
  absl::StatusOr<net::Address> local = net::LocalAddress(fd);
  if (!local.ok()) return "";
  return SocketKey(type == SOCK_DGRAM, local->ToString());
}

}  // namespace

int PidfdGetFd(int pidfd, int target_fd) {
  return static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, target_fd, 0));
}

absl::StatusOr<std::vector<HeldSocket>> RecoverSockets(
    pid_t pid, int pidfd, const std::vector<v1::ListenSocket>& wanted) {
  std::map<std::string, size_t> missing;  // key -> index in `wanted`
  for (size_t i = 0; i < wanted.size(); ++i) {
    missing.emplace(SocketKey(wanted[i].udp(), wanted[i].address()), i);
  }
  std::vector<base::UniqueFd> found(wanted.size());
  std::error_code error;
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  // Descriptor numbers first: the hand-over put them at 3 and up, where most programs keep them.
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (missing.empty()) break;
    int target = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &target)) continue;
    std::error_code link_error;
    const std::string link = std::filesystem::read_symlink(entry.path(), link_error).string();
    if (link_error || link.rfind("socket:", 0) != 0) continue;
    base::UniqueFd copy(PidfdGetFd(pidfd, target));
    if (!copy) {
      if (errno == EPERM || errno == ESRCH) {
        return base::SyscallError(absl::StrCat("pidfd_getfd of pid ", pid, " descriptor ", target),
                                  errno);
      }
      continue;  // closed meanwhile
    }
    auto it = missing.find(KeyOf(copy.get()));
    if (it == missing.end()) continue;
    found[it->second] = std::move(copy);
    missing.erase(it);
  }
  if (error) return base::SyscallError(absl::StrCat("list ", dir), error.value());
  if (!missing.empty()) {
    return absl::NotFoundError(absl::StrCat("recover sockets of pid ", pid, ": no ",
                                            missing.begin()->first, " among its descriptors"));
  }
  std::vector<HeldSocket> held;
  for (size_t i = 0; i < wanted.size(); ++i) held.push_back({wanted[i], std::move(found[i])});
  return held;
}

}  // namespace corral::agent
