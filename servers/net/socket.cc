#include "servers/net/socket.h"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::net {
namespace {

absl::StatusOr<base::UniqueFd> BoundSocket(const Address& address, int type, bool reuse_port);

// SO_REUSEPORT lets any socket of the same user that also sets it share the port, so a second
// server on a taken port would bind without complaint. A first bind without it tells whether
// the port is free; it is released at once (a port-0 request needs no check).
absl::Status CheckPortFree(const Address& address, int type) {
  if (address.port() == 0) return absl::OkStatus();
  absl::StatusOr<base::UniqueFd> probe = BoundSocket(address, type, /*reuse_port=*/false);
  return probe.status();
}

absl::StatusOr<base::UniqueFd> BoundSocket(const Address& address, int type, bool reuse_port) {
  base::UniqueFd fd(::socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return base::SyscallError("socket", errno);
  int one = 1;
  if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return base::SyscallError(absl::StrCat("setsockopt SO_REUSEPORT ", address.ToString()), errno);
  }
  if (::bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
    return base::SyscallError(absl::StrCat("bind ", address.ToString()), errno);
  }
  return fd;
}

}  // namespace

absl::StatusOr<base::UniqueFd> ListenTcp(const Address& address, const ListenOptions& options) {
  if (options.reuse_port && options.check_port_free) {
    if (absl::Status free = CheckPortFree(address, SOCK_STREAM); !free.ok()) return free;
  }
  absl::StatusOr<base::UniqueFd> fd = BoundSocket(address, SOCK_STREAM, options.reuse_port);
  if (!fd.ok()) return fd.status();
  // Accepted connections inherit it, which spares a setsockopt per connection: servers answer
  // small messages at once rather than waiting for the client's ACK (Nagle).
  const int one = 1;
  if (::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return base::SyscallError(absl::StrCat("setsockopt TCP_NODELAY ", address.ToString()), errno);
  }
  if (options.defer_accept_seconds > 0 &&
      ::setsockopt(fd->get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &options.defer_accept_seconds,
                   sizeof options.defer_accept_seconds) != 0) {
    return base::SyscallError(absl::StrCat("setsockopt TCP_DEFER_ACCEPT ", address.ToString()),
                              errno);
  }
  if (::listen(fd->get(), options.backlog) != 0) {
    return base::SyscallError(absl::StrCat("listen ", address.ToString()), errno);
  }
  return fd;
}

absl::StatusOr<int> DeferAcceptSeconds(int listener) {
  int seconds = 0;
  socklen_t length = sizeof seconds;
  if (::getsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, &length) != 0) {
    return base::SyscallError("getsockopt TCP_DEFER_ACCEPT", errno);
  }
  return seconds;
}

absl::StatusOr<base::UniqueFd> BindUdp(const Address& address, bool reuse_port,
                                       bool check_port_free) {
  if (reuse_port && check_port_free) {
    if (absl::Status free = CheckPortFree(address, SOCK_DGRAM); !free.ok()) return free;
  }
  return BoundSocket(address, SOCK_DGRAM, reuse_port);
}

absl::StatusOr<Address> LocalAddress(int fd) {
  sockaddr_storage storage{};
  socklen_t len = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
    return base::SyscallError("getsockname", errno);
  }
  return Address::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

AcceptError ClassifyAcceptErrno(int err) {
  switch (err) {
    case EINTR:
    case EAGAIN:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:  // a firewall rule refused this one connection
      return AcceptError::kRetry;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return AcceptError::kOutOfFds;
    default:
      return AcceptError::kFatal;
  }
}

ReceiveError ClassifyReceiveErrno(int err) {
  switch (err) {
    case EINTR:
    case EAGAIN:
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return ReceiveError::kRetry;
    case ENOMEM:
    case ENOBUFS:
      return ReceiveError::kOutOfResources;
    default:
      return ReceiveError::kFatal;
  }
}

}  // namespace corral::net
