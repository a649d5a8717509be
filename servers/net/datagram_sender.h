// DatagramSender: how a datagram handler replies, in blocking style. Like Stream, the model
// supplies the implementation: PollingDatagramSender (fork and thread models) or a cooperative
// one (coroutine model).
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "base/io_accounting.h"
#include "servers/net/address.h"
#include "servers/net/stream.h"

namespace corral::net {

class DatagramSender {
 public:
  virtual ~DatagramSender() = default;
  // Sends one datagram to `peer`. DEADLINE_EXCEEDED when the socket buffer stayed full until
  // `deadline`; other errors as the syscall reported them.
  virtual absl::Status SendTo(const void* data, size_t size, const Address& peer,
                              Deadline deadline) = 0;

  // As Stream::accounting(): the sender reports each send to it (the bytes it sent, or why
  // not); a handler plugin counts its own errors into the slot behind it. Null: no stats.
  void set_accounting(base::IoAccounting* accounting) { accounting_ = accounting; }
  base::IoAccounting* accounting() const { return accounting_; }

 protected:
  // What an implementation calls with the outcome of each send.
  void CountSent(const absl::Status& status, size_t bytes) {
    if (accounting_ != nullptr) accounting_->OnWritten(status, bytes);
  }

 private:
  base::IoAccounting* accounting_ = nullptr;
};

}  // namespace corral::net
