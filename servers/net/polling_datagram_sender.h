// PollingDatagramSender: DatagramSender over a non-blocking UDP socket for workers that own an
// OS thread (fork and thread models): sendto, and poll(2) only on EAGAIN. Several workers may
// share one socket: sendto on a UDP socket is atomic per datagram.
#pragma once

#include "servers/net/datagram_sender.h"

namespace corral::net {

class PollingDatagramSender final : public DatagramSender {
 public:
  // Does not own `fd`.
  explicit PollingDatagramSender(int fd) : fd_(fd) {}
  absl::Status SendTo(const void* data, size_t size, const Address& peer,
                      Deadline deadline) override;

 private:
  int fd_;
};

}  // namespace corral::net
