// DatagramSender: how a datagram handler replies, in blocking style. Like Stream, the model
// supplies the implementation: PollingDatagramSender (fork and thread models) or a cooperative
// one (coroutine model).
#pragma once

#include <cstddef>

#include "absl/status/status.h"
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

  // As Stream::stats(): the sender counts the bytes it sends into the worker's slot.
  void set_stats(stats::SlotWriter* stats) { stats_ = stats; }
  // The worker's slot, or null: a handler plugin counts its own errors into it.
  stats::SlotWriter* stats() const { return stats_; }

 protected:
  stats::SlotWriter* stats_ = nullptr;
};

}  // namespace corral::net
