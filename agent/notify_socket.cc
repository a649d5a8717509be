#include "agent/notify_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/notify_message.h"
#include "base/syscall_error.h"

namespace corral::agent {
namespace {

// FNV-1a: a stable short name for a home path of any length (sun_path holds 107 bytes).
uint64_t HashOf(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

absl::StatusOr<NotifySocket> NotifySocket::Open(const std::string& home) {
  const std::string name = absl::StrFormat("corral-notify-%016x", HashOf(home));
  const std::string what = absl::StrCat("bind the notify socket @", name);
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return base::SyscallError(what, errno);
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    return base::SyscallError(absl::StrCat(what, ": SO_PASSCRED"), errno);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) != 0) {
    return base::SyscallError(what, errno);
  }
  return NotifySocket(std::move(fd), "@" + name);
}

std::optional<NotifySocket::Datagram> NotifySocket::Receive() {
  char buffer[kMaxNotifyBytes + 1];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  iovec iov{buffer, sizeof buffer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return std::nullopt;  // EAGAIN: none left (nothing else can fail on a bound socket)
  Datagram datagram;
  // Descriptors sent along (SCM_RIGHTS) do not fit `control`: the kernel closes them and sets
  // MSG_CTRUNC, and the datagram is dropped below.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred cred;
      std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
      datagram.sender = cred.pid;
    }
  }
  if (static_cast<size_t>(n) > kMaxNotifyBytes || (msg.msg_flags & MSG_CTRUNC) != 0) {
    datagram.sender = 0;
    return datagram;
  }
  datagram.bytes.assign(buffer, static_cast<size_t>(n));
  return datagram;
}

}  // namespace corral::agent
