// Stream: the byte-stream interface every protocol handler is written against, in blocking
// style. A model supplies the implementation: PollingStream (fork and thread models, where the
// worker owns an OS thread) or a cooperative stream that parks a greenlet on its hub (coroutine
// model). A handler therefore runs unchanged under every model.
//
// A Stream is used by one worker at a time; it is not thread-safe.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corral::net {

using Clock = std::chrono::steady_clock;
// The moment a call gives up. Deadline::max() waits forever.
using Deadline = Clock::time_point;

inline Deadline DeadlineAfter(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }

class Stream {
 public:
  virtual ~Stream() = default;

  // Reads up to `len` (> 0) bytes. Returns the count read (> 0), or 0 when the peer closed its
  // side. DEADLINE_EXCEEDED when nothing arrived before `deadline`; UNAVAILABLE when the
  // connection broke (reset). Never returns a partial failure: bytes read are always reported.
  virtual absl::StatusOr<size_t> Read(void* buf, size_t len, Deadline deadline) = 0;

  // Writes all `len` bytes, or fails: DEADLINE_EXCEEDED when the peer did not take them before
  // `deadline`, UNAVAILABLE when the connection broke (reset, or the peer closed).
  virtual absl::Status WriteAll(const void* buf, size_t len, Deadline deadline) = 0;

  // Writes every byte of the `count` buffers, in order (one writev where the socket takes it
  // all). Same errors as WriteAll. The iovec array may be modified.
  virtual absl::Status WriteAllV(iovec* iov, int count, Deadline deadline) = 0;

  // The underlying descriptor, for socket options and sendfile; the stream keeps owning it.
  virtual int fd() const = 0;
};

}  // namespace corral::net
