#include "servers/stats/socket_drops.h"

#include <linux/sock_diag.h>
#include <sys/stat.h>

#include <cstring>

namespace corral::stats {
namespace {

// The socket's drop count now (SO_MEMINFO), 0 if the kernel does not say.
uint64_t DropsNow(int socket) {
  uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof meminfo;
  if (getsockopt(socket, SOL_SOCKET, SO_MEMINFO, meminfo, &len) != 0 ||
      len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
    return 0;
  }
  return meminfo[SK_MEMINFO_DROPS];
}

}  // namespace

SocketDrops::SocketDrops(int socket, Scoreboard* board) : socket_(socket), board_(board) {
  if (board_ == nullptr) return;
  const int on = 1;
  struct stat st;
  if (setsockopt(socket, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0 || fstat(socket, &st) != 0) {
    return;
  }
  entry_ = board_->RegisterDropSocket(static_cast<uint64_t>(st.st_ino), DropsNow(socket));
}

ssize_t SocketDrops::ReceiveFrom(void* buf, size_t len, int flags, sockaddr* from,
                                 socklen_t* from_len) {
  iovec iov{buf, len};
  msghdr message{};
  message.msg_name = from;
  message.msg_namelen = from_len != nullptr ? *from_len : 0;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  Control control;
  Attach(message, control);
  const ssize_t n = recvmsg(socket_, &message, flags);
  if (n < 0) return n;
  if (from_len != nullptr) *from_len = message.msg_namelen;
  Saw(message);
  return n;
}

void SocketDrops::Attach(msghdr& message, Control& control) const {
  if (entry_ < 0) {
    message.msg_control = nullptr;
    message.msg_controllen = 0;
    return;
  }
  message.msg_control = control.bytes;
  message.msg_controllen = sizeof control.bytes;
}

void SocketDrops::Saw(const msghdr& message) {
  if (entry_ < 0 || message.msg_controllen == 0) return;
  for (const cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&message), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
        c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
      uint32_t drops;
      std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
      board_->OnKernelDrops(entry_, drops);
    }
  }
}

}  // namespace corral::stats
