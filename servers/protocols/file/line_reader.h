// LineReader: buffered reading of LF-terminated lines, and of the raw bytes that follow them,
// from a net::Stream. Both ends use it: the server for request lines and PUT bodies, the client
// for reply lines, LIST entries and GET bodies. Bytes that arrived after a line are kept and
// handed out first by ReadSome, so a body sent right behind its header is never lost.
//
// Owns its buffer (on the heap: coroutine stacks stay small); borrows the stream, which must
// outlive it. One worker at a time, like the stream.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "servers/net/stream.h"

namespace corral::protocols::file {

class LineReader {
 public:
  // `max_line` bounds a line, LF included.
  LineReader(net::Stream& stream, size_t max_line);

  // The next line without its LF (and without a CR just before it). The view is valid until the
  // next call. std::nullopt when the peer closed the connection between lines.
  //   RESOURCE_EXHAUSTED  no LF within max_line bytes (the reader is then unusable)
  //   UNAVAILABLE         the peer closed mid-line, or the connection broke
  //   DEADLINE_EXCEEDED   the line was not complete by `deadline`
  absl::StatusOr<std::optional<std::string_view>> ReadLine(net::Deadline deadline);

  // Up to `len` (> 0) bytes: buffered ones first, then straight from the stream. 0 when the peer
  // closed. Errors as net::Stream::Read.
  absl::StatusOr<size_t> ReadSome(void* buf, size_t len, net::Deadline deadline);

 private:
  net::Stream& stream_;
  const size_t capacity_;
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last byte read
};

}  // namespace corral::protocols::file
