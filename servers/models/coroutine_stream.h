// The coroutine model's Stream and DatagramSender: the same blocking-style calls as
// PollingStream, made cooperative by corral::coro, so a handler's Read parks its greenlet on the
// hub instead of blocking the thread. They keep the Stream contract under this model too: a kill
// of the handler's greenlet (the drain's cut, the hub's shutdown) is returned as CANCELLED, and
// sticks (every later call returns CANCELLED at once), and a coro::Timeout as DEADLINE_EXCEEDED;
// no exception leaves them (coro/nothrow.h).
#pragma once

#include "servers/net/datagram_sender.h"
#include "servers/net/stream.h"

namespace corral::models {

// Borrows the non-blocking socket `fd`, which its owner must close with coro::Close (the hub
// keeps it registered with epoll). Hub thread only.
class CoroutineStream final : public net::Stream {
 public:
  explicit CoroutineStream(int fd) : fd_(fd) {}
  int fd() const override { return fd_; }

 private:
  absl::StatusOr<size_t> DoRead(void* buf, size_t len, net::Deadline deadline) override;
  absl::Status DoWriteAllV(iovec* iov, int count, net::Deadline deadline) override;
  absl::Status DoSendFile(int file_fd, off_t offset, size_t count, net::Deadline deadline) override;

  int fd_;
};

// Borrows the non-blocking UDP socket `fd`. Hub thread only.
class CoroutineDatagramSender final : public net::DatagramSender {
 public:
  explicit CoroutineDatagramSender(int fd) : fd_(fd) {}
  absl::Status SendTo(const void* data, size_t size, const net::Address& peer,
                      net::Deadline deadline) override;

 private:
  int fd_;
};

}  // namespace corral::models
