#include "agent/accept_check.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"

namespace corral::agent {
namespace {

absl::Status Errno(const char* what) {
  return base::SyscallError(absl::StrCat("sock_diag: ", what), errno);
}

// Copies the address and port of `address` into a sock_diag id's field pair.
void Place(const sockaddr_storage& address, __be32 out[4], __be16* port) {
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(out, &in6.sin6_addr, sizeof in6.sin6_addr);
    *port = in6.sin6_port;
  } else {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    out[0] = in.sin_addr.s_addr;
    *port = in.sin_port;
  }
}

}  // namespace

absl::StatusOr<bool> PeerAccepted(int fd) {
  sockaddr_storage ours{}, peer{};
  socklen_t length = sizeof ours;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ours), &length) != 0) {
    return Errno("getsockname");
  }
  length = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    return Errno("getpeername");
  }
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;  // one socket, looked up exactly: no dump
  message.request.sdiag_family = peer.ss_family;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = ~0u;
  // The socket wanted is the server's end: its source is our peer, its destination us.
  Place(peer, message.request.id.idiag_src, &message.request.id.idiag_sport);
  Place(ours, message.request.id.idiag_dst, &message.request.id.idiag_dport);
  message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

  base::UniqueFd diag(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!diag) return Errno("socket");
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(diag.get(), &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return Errno("send");
  }
  alignas(nlmsghdr) char answer[8192];
  ssize_t n;
  do {
    n = ::recv(diag.get(), answer, sizeof answer, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("recv");
  const auto* header = reinterpret_cast<const nlmsghdr*>(answer);
  if (!NLMSG_OK(header, static_cast<unsigned>(n))) {
    return absl::InternalError("sock_diag: a truncated answer");
  }
  if (header->nlmsg_type == NLMSG_ERROR) {
    const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
    if (error->error == -ENOENT) return true;  // gone: accepted and closed already
    errno = -error->error;
    return Errno("lookup");
  }
  if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
      header->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) {
    return absl::InternalError("sock_diag: an unexpected answer");
  }
  const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
  if (socket->idiag_inode != 0) return true;
  // No socket file, yet not waiting in the queue either: the server accepted it and closed it
  // (FIN_WAIT1, TIME_WAIT, ...: an orphan keeps no inode). A queued one stays ESTABLISHED, or
  // CLOSE_WAIT had we closed first (we do not).
  return socket->idiag_state != TCP_ESTABLISHED && socket->idiag_state != TCP_SYN_RECV &&
         socket->idiag_state != TCP_CLOSE_WAIT;
}

}  // namespace corral::agent
