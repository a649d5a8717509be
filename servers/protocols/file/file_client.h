// FileClient: the client side of the file protocol over any net::Stream (corral-file uses a
// PollingStream over a TCP socket; tests use one end of a socketpair). It formats requests and
// parses replies with the very code the server uses (request.h, reply.h, list_entry.h,
// line_reader.h).
//
// Errors:
//   - the server refused (ERR CODE MESSAGE): the status StatusFromReply gives, with the
//     server's message, and the connection stays usable;
//   - anything else (connection broken or timed out, a malformed reply, the caller's sink or
//     source failing mid-transfer): the connection's framing is lost, and every later call
//     fails with FAILED_PRECONDITION. Whether the last error came from the server says
//     last_error_was_refusal().
//
// Borrows the stream, which must outlive the client. One thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "servers/net/stream.h"
#include "servers/protocols/file/line_reader.h"
#include "servers/protocols/file/list_entry.h"
#include "servers/protocols/file/reply.h"

namespace corral::protocols::file {

class FileClient {
 public:
  // `timeout` bounds each wait for the server (a reply line, a body chunk, a write).
  FileClient(net::Stream& stream, std::chrono::milliseconds timeout);

  // `directory` relative to the served root; empty for the root.
  absl::StatusOr<std::vector<ListEntry>> List(std::string_view directory);

  // Downloads `path`, handing consecutive chunks to `sink` (which may fail: the transfer then
  // stops). Returns the file size. UNAVAILABLE when the server closed before the announced size
  // (it does that when the file shrinks while being sent).
  using Sink = absl::FunctionRef<absl::Status(const char* data, size_t len)>;
  absl::StatusOr<uint64_t> Get(std::string_view path, Sink sink);

  // Uploads exactly `size` bytes taken from `source`, which fills up to `len` bytes of `buf` and
  // returns how many (0 before `size` bytes is an error: the connection is then abandoned, and
  // the server discards the partial upload).
  using Source = absl::FunctionRef<absl::StatusOr<size_t>(char* buf, size_t len)>;
  absl::Status Put(std::string_view path, uint64_t size, Source source);

  // Says goodbye; the server closes its side.
  absl::Status Quit();

  bool last_error_was_refusal() const { return last_error_was_refusal_; }

 private:
  absl::Status SendRequest(const std::string& line);
  // The next reply line, parsed. An ERR reply is returned as a Reply, not as an error.
  absl::StatusOr<Reply> ReadReply();
  // `reply` must be OK with a decimal number as its text.
  absl::StatusOr<uint64_t> NumberIn(const Reply& reply);
  // Records a transport/protocol failure (the connection is spent) and returns it.
  absl::Status Broken(absl::Status status);
  absl::Status Refused(const Reply& reply);
  net::Deadline Deadline() const { return net::DeadlineAfter(timeout_); }

  net::Stream& stream_;
  std::chrono::milliseconds timeout_;
  LineReader reader_;
  bool broken_ = false;
  bool last_error_was_refusal_ = false;
};

}  // namespace corral::protocols::file
