// ReceiveBatch: buffers for taking up to kSize queued datagrams in one recvmmsg, for the
// coroutine model's UDP receiver. Under load several are often queued at once (one per client
// socket in flight), and each one read this way saves a syscall.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "servers/net/address.h"
#include "servers/stats/scoreboard.h"
#include "servers/stats/socket_drops.h"

namespace corral::models {

class ReceiveBatch {
 public:
  static constexpr unsigned kSize = 16;

  // kSize buffers of the largest datagram, allocated uninitialised: a page is made resident
  // only when a datagram is written into it, if the allocator hands back fresh pages (glibc's
  // mmap of a block this large does). Reused buffers stay resident: up to 1 MiB per receiver
  // after large datagrams.
  // Counts what the kernel drops on `socket` into `board` (may be null): see SocketDrops.
  ReceiveBatch(int socket, stats::Scoreboard* board);
  // The messages point into this object's own arrays.
  ReceiveBatch(const ReceiveBatch&) = delete;
  ReceiveBatch& operator=(const ReceiveBatch&) = delete;

  // Receives 1 to `at_most` (<= kSize) datagrams with coro::RecvMany, parking until at least
  // one is queued. Errors are coro::RecvMany's.
  absl::StatusOr<size_t> Receive(int socket, unsigned at_most);

  // The i-th datagram of the last successful Receive, valid until the next Receive.
  std::string_view bytes(size_t i) const;
  // Who sent it.
  net::Address sender(size_t i) const;

 private:
  std::unique_ptr<char[]> buffers_;
  std::array<iovec, kSize> iovecs_;
  std::array<sockaddr_storage, kSize> senders_;
  std::array<mmsghdr, kSize> messages_;
  std::array<stats::SocketDrops::Control, kSize> controls_;
  stats::SocketDrops drops_;
};

}  // namespace corral::models
