// SocketDrops: what the kernel dropped on a UDP socket before the server read it (its receive
// buffer was full), counted into the scoreboard as ErrorKind::kDropped.
//
// How: SO_RXQ_OVFL makes the kernel attach, to each datagram queued after a drop, a control
// message with the socket's cumulative drop count. Every receive path reads with recvmsg (or
// recvmmsg) and gives that count to the scoreboard (SocketDropsEntry keeps the highest seen).
// So drops show when the next datagram is read: the last drops of a burst show once another
// datagram arrives. The count the socket had when the server took it (the agent holds the
// socket across restarts) is read with SO_MEMINFO and subtracted.
//
// One SocketDrops per receive loop (thread or process); cheap: nothing per datagram unless the
// kernel attached a count. Not thread-safe; the scoreboard side is.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "servers/stats/scoreboard.h"

namespace corral::stats {

class SocketDrops {
 public:
  // Room for the one control message SO_RXQ_OVFL adds (a uint32_t count).
  struct Control {
    alignas(cmsghdr) unsigned char bytes[CMSG_SPACE(sizeof(uint32_t))];
  };

  // Turns SO_RXQ_OVFL on for `socket` (best effort: a socket refusing it counts nothing) and
  // registers it in `board`; a null `board` counts nothing.
  SocketDrops(int socket, Scoreboard* board);

  // recvfrom(2), same arguments, result and errno, recording the drop count the datagram carries.
  ssize_t ReceiveFrom(void* buf, size_t len, int flags, sockaddr* from, socklen_t* from_len);

  // For recvmmsg: before each call, point `message` at `control` (resets its length)...
  void Attach(msghdr& message, Control& control) const;
  // ...and after it, for each message received, record what it carries.
  void Saw(const msghdr& message);

 private:
  int socket_;
  Scoreboard* board_;
  int entry_ = -1;  // this socket's SocketDropsEntry, -1: not counted
};

}  // namespace corral::stats
