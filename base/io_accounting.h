// IoAccounting: the hook through which a byte stream or a datagram sender (servers/net) reports
// the outcome of each of its calls to whoever keeps the counts (the worker's scoreboard slot,
// servers/stats). It lives in base/ so that net/ and stats/ need not know each other: the model
// that makes a stream hands it the hook (Stream::set_accounting), as it hands in WaitingClients.
//
// Called on the thread (or greenlet) that makes the I/O call, around every call; an
// implementation is as hot as the I/O itself, so it must not block, lock or allocate.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corral::base {

class IoAccounting {
 public:
  virtual ~IoAccounting() = default;

  // A read is about to wait for the peer.
  virtual void OnReading() = 0;
  // A read ended: the bytes it returned (0: the peer closed), or why it failed
  // (DEADLINE_EXCEEDED: timed out; UNAVAILABLE: the connection broke).
  virtual void OnRead(const absl::StatusOr<size_t>& result) = 0;

  // A write (or a sendfile, or a sendto) is about to start.
  virtual void OnWriting() = 0;
  // It ended: OK when all `bytes` went out; otherwise why not, as for OnRead.
  virtual void OnWritten(const absl::Status& status, size_t bytes) = 0;
};

}  // namespace corral::base
