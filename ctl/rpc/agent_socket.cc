#include "ctl/rpc/agent_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ctl/rpc/fd_wait.h"
#include "servers/net/syscall_error.h"

namespace corral::ctl::rpc {
namespace {

// Connects the non-blocking `fd` to `address`; returns 0 or the errno that failed it.
int ConnectBy(int fd, const sockaddr* address, socklen_t length, absl::Time deadline) {
  if (::connect(fd, address, length) == 0) return 0;
  // A unix socket whose backlog is full answers EAGAIN; both wait for the socket to be writable.
  if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR) return errno;
  absl::StatusOr<bool> writable = WaitForFd(fd, POLLOUT, deadline);
  if (!writable.ok()) return EIO;
  if (!*writable) return ETIMEDOUT;
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
  if (error == EAGAIN) {
    // The unix backlog had no room; try once more now that it may have.
    return ::connect(fd, address, length) == 0 || errno == EISCONN ? 0 : errno;
  }
  return error;
}

absl::Status Unreachable(const std::string& target, int err) {
  return absl::UnavailableError(absl::StrCat("connect to ", target, ": ", net::ErrnoText(err)));
}

absl::StatusOr<AgentSocket> ConnectUnix(const std::string& target, const std::string& path,
                                        absl::Time deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    return absl::InvalidArgumentError(absl::StrCat("agent address ", target,
                                                   ": a unix socket path must have 1 to ",
                                                   sizeof address.sun_path - 1, " bytes"));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  net::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return Unreachable(target, errno);
  const int err =
      ConnectBy(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address, deadline);
  if (err != 0) return Unreachable(target, err);
  return AgentSocket{std::move(fd), "localhost"};
}

absl::StatusOr<AgentSocket> ConnectTcp(const std::string& target, absl::Time deadline) {
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon + 1 == target.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent address ", target, ": use unix:PATH, a socket path, or HOST:PORT"));
  }
  std::string host(target.substr(0, colon));
  const std::string port(target.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "resolve ", target, ": ", rc == EAI_SYSTEM ? net::ErrnoText(errno) : ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  int last_error = EADDRNOTAVAIL;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    net::UniqueFd fd(::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      last_error = errno;
      continue;
    }
    last_error = ConnectBy(fd.get(), a->ai_addr, a->ai_addrlen, deadline);
    if (last_error == 0) {
      const int on = 1;  // requests are one write each: do not hold them back
      (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      return AgentSocket{std::move(fd), std::string(target)};
    }
    if (last_error == ETIMEDOUT) break;
  }
  return Unreachable(target, last_error);
}

}  // namespace

absl::StatusOr<AgentSocket> ConnectToAgent(const std::string& target, absl::Time deadline) {
  if (absl::StartsWith(target, "unix://")) {
    return ConnectUnix(target, target.substr(std::strlen("unix://")), deadline);
  }
  if (absl::StartsWith(target, "unix:")) {
    return ConnectUnix(target, target.substr(std::strlen("unix:")), deadline);
  }
  return ConnectTcp(target, deadline);
}

}  // namespace corral::ctl::rpc
