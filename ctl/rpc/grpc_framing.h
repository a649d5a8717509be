// The gRPC wire format carried over HTTP/2 (gRPC's PROTOCOL-HTTP2.md), as far as corralctl's
// client needs it: length-prefixed messages, the grpc-timeout header, and the status a call ends
// with. Pure functions and a byte assembler, apart from any I/O, so each is unit-tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace google::protobuf {
class MessageLite;
}

namespace corral::ctl::rpc {

// `message` serialized behind gRPC's 5-byte prefix: flag 0 (uncompressed), big-endian length.
std::string FrameMessage(const google::protobuf::MessageLite& message);

// Reassembles length-prefixed messages from a response's DATA bytes, which HTTP/2 may split or
// join at any byte.
class MessageAssembler {
 public:
  explicit MessageAssembler(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  void Append(std::string_view bytes) { buffer_.append(bytes); }

  // Moves the next complete message's bytes into *out and returns true; false when none is
  // complete yet. ResourceExhausted for a message over the limit, Internal for a compressed
  // one (this client never offers compression, so the server may not use it).
  absl::StatusOr<bool> Next(std::string* out);

  // True when no bytes of an unfinished message are pending.
  bool empty() const { return consumed_ == buffer_.size(); }

 private:
  size_t max_message_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already handed out
};

// The grpc-timeout header value for `timeout`: at most 8 digits, in the finest unit that holds
// it (rounded up, so the server never gives up before the client). Zero or less is "0n".
std::string TimeoutHeader(absl::Duration timeout);

// The status a call ended with, from its response: grpc-status with its percent-encoded
// grpc-message; without grpc-status, the HTTP status mapped as gRPC's spec says (the peer is then
// not a gRPC server, or a proxy answered).
absl::Status CallStatus(int http_status, std::optional<int> grpc_status,
                        std::string_view encoded_message);

// The status of a call whose stream the peer reset before any grpc-status, mapped from the HTTP/2
// error code as gRPC's spec says (REFUSED_STREAM: Unavailable, CANCEL: Cancelled, ...).
absl::Status StatusForReset(uint32_t http2_error_code);

// grpc-message's percent-encoding undone; a malformed escape stays as it is.
std::string PercentDecode(std::string_view encoded);

}  // namespace corral::ctl::rpc
