// BlockingStream: a Stream over a blocking socket, for workers that own an OS thread (the fork
// and thread models). A read is one recv(2) that sleeps in the kernel, as in a bare
// thread-per-connection server; the deadline is the kernel's SO_RCVTIMEO, re-armed only when a
// call's deadline differs from the armed one. (PollingStream needs recv, poll and recv again
// for every message that is not already waiting.)
//
// Precision: a read may return up to kTimeoutSlack after its deadline. An armed timeout is kept
// when it ends no later than that: back-to-back reads with fresh deadlines of one length do not
// re-arm, and one armed shorter than needed just re-arms for the rest when it fires.
// Writes and sendfile do not block in the kernel: they wait in poll(2) on a full socket buffer, as
// PollingStream does.
#pragma once

#include <chrono>
#include <functional>

#include "base/unique_fd.h"
#include "servers/net/stream.h"

namespace corral::net {

class BlockingStream final : public Stream {
 public:
  static constexpr std::chrono::milliseconds kTimeoutSlack{5};

  // What is known of a socket just accept4(2)ed without SOCK_NONBLOCK: it is blocking, and it
  // carries its listener's SO_RCVTIMEO (zero: none). Given, it spares the fcntl(2) a socket of
  // unknown state costs and, when the listener's timeout is no longer than a read's deadline,
  // the setsockopt(2) of the first read (a shorter armed timeout is kept: it re-arms if it fires).
  struct Accepted {
    Clock::duration listener_receive_timeout{};
  };

  // Takes ownership of the socket `fd`, makes it blocking, closes it on destruction.
  explicit BlockingStream(base::UniqueFd fd);
  BlockingStream(base::UniqueFd fd, Accepted known);
  // Uses the socket `fd` without owning it; makes it blocking.
  explicit BlockingStream(int fd);
  BlockingStream(int fd, Accepted known);

  int fd() const override { return fd_; }

  // Runs on the reading thread right before every recv(2) (after its timeout is armed), the
  // retries after a signal interrupted one or its timeout fired included: where a fork child
  // serving one connection acts on a drain signal its handler only recorded
  // (models/connection_drain_signal.h). Empty: none.
  void set_before_receive(std::function<void()> hook) { before_receive_ = std::move(hook); }

 private:
  absl::StatusOr<size_t> DoRead(void* buf, size_t len, Deadline deadline) override;
  absl::Status DoWriteAllV(iovec* iov, int count, Deadline deadline) override;
  absl::Status DoSendFile(int file_fd, off_t offset, size_t count, Deadline deadline) override;

  // Arms SO_RCVTIMEO so that a recv made now ends by `deadline` (within the slack).
  // DEADLINE_EXCEEDED once it has passed.
  absl::Status ArmReceiveTimeout(Deadline deadline);

  base::UniqueFd owned_;
  int fd_;
  // The SO_RCVTIMEO set; zero is the kernel's "no timeout". Unknown at first unless told (an
  // accepted socket inherits its listener's), and again once it fired: the next read arms.
  static constexpr Clock::duration kUnknownTimeout = Clock::duration(-1);
  Clock::duration armed_ = kUnknownTimeout;
  std::function<void()> before_receive_;
};

}  // namespace corral::net
