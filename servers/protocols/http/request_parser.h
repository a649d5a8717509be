#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "servers/protocols/http/request.h"
#include "servers/protocols/http/request_target.h"
#include "servers/protocols/http/status_code.h"

namespace corral::http {

// Size limits, all in bytes except max_header_count. The defaults suit a static-file and
// small-API server; every limit answers with the status RFC 9110 assigns to it.
struct ParserLimits {
  // The request line without its CRLF; longer -> 414.
  std::size_t max_request_line_bytes = 8 * 1024;
  // The header section after the request line, line terminators and the final empty line
  // included; also bounds a chunked body's trailer section. Larger -> 431.
  std::size_t max_header_bytes = 16 * 1024;
  // Header field lines; more -> 431.
  std::size_t max_header_count = 100;
  // The decoded body (Content-Length or the sum of the chunk sizes); larger -> 413, decided
  // from Content-Length as soon as the head is complete, before any body byte is read.
  std::uint64_t max_body_bytes = 8 * 1024 * 1024;
};

// Why a request was rejected: the status the connection must answer with (then close the
// connection: after a framing error the position of the next request is unknown) and a short
// static explanation for logs (never sent to the client verbatim by this library).
struct ParseError {
  StatusCode status = StatusCode::kBadRequest;
  std::string_view message;  // points to a string literal
};

enum class ParseStatus : unsigned char {
  kNeedMore,      // everything offered was consumed; feed more bytes
  kHeadComplete,  // the head is parsed and a body follows; request() is readable except body
  kComplete,      // the whole request is parsed; request() is fully readable
  kError,         // error() says what to answer; the parser stays in this state
};

struct FeedResult {
  std::size_t consumed = 0;  // how many leading bytes of the offered data were used
  ParseStatus status = ParseStatus::kNeedMore;
};

// An incremental HTTP/1.1 request parser (RFC 9112). Bytes may arrive in chunks split
// anywhere, a request split at every byte boundary parses identically.
//
// How a connection drives it:
//
//   RequestParser parser(limits);           // one per connection, reused for every request
//   std::string_view pending = ...;         // bytes read from the socket, not yet consumed
//   FeedResult r = parser.Feed(pending);
//   pending.remove_prefix(r.consumed);
//   switch (r.status) {
//     case kNeedMore: read more and Feed again (pending is now empty).
//     case kHeadComplete: if request().expect_continue, write kContinueResponse
//                         (response.h) and Feed the rest of pending; or reject now
//                         (e.g. 413, 401) and close: the unread body would otherwise be
//                         parsed as the next request.
//     case kComplete: handle request(); send the response; parser.Reset(); whatever is
//                     left in `pending` is the start of the next (pipelined) request.
//     case kError: answer error().status with Connection: close, then close.
//   }
//
// Buffering and allocation: the parser copies the head into a buffer it owns and the body
// into another, so the caller may reuse its read buffer as soon as Feed returns; request()'s
// string_views point into the parser's buffers and stay valid until Reset(). Both buffers,
// the header vector and the decoded-path buffer keep their capacity across Reset() (the body
// buffer is released after a body larger than 64 KiB), and the constructor reserves room for
// a typical browser request, so the hot path, a GET with a head under 1 KiB and up to 32
// headers, performs no heap allocation at all. The body is delivered whole (never streamed),
// bounded by max_body_bytes.
//
// Accepted leniencies (RFC 9112 2.2 permits them): empty lines before the request line are
// skipped, and a head written with bare LF line endings throughout (a hand-typed `nc`
// request) is read like one with CRLF. A head that mixes the two is refused (400): a front end
// that ends lines only at CRLF would read a bare LF inside a field value, and the two would
// disagree on the fields. Chunked framing requires CRLF and a strict chunk-size line (hex
// digits, at most 16, whitespace only before a ';'), since disagreeing about where a chunk
// ends is exactly a smuggling vector.
//
// Not thread-safe; one connection's thread or coroutine uses it.
class RequestParser {
 public:
  explicit RequestParser(const ParserLimits& limits = ParserLimits());

  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Consumes a prefix of `data`. Stops after the head when a body follows (kHeadComplete),
  // at the end of the request (kComplete) or at the first error. After kComplete or kError
  // further calls consume nothing and repeat the status until Reset().
  FeedResult Feed(std::string_view data);

  // Prepares for the next request on the same connection; invalidates request().
  void Reset();

  // The request being parsed. Valid after kHeadComplete (without body) or kComplete.
  const Request& request() const { return request_; }

  // Valid after kError.
  const ParseError& error() const { return error_; }

  // Whether any byte of the current request has arrived (leading empty lines do not count).
  // On an idle timeout, a connection with !started() is closed quietly; otherwise it is
  // answered with 408.
  bool started() const { return phase_ != Phase::kHead || !head_.empty(); }

 private:
  enum class Phase : unsigned char {
    kHead,
    kFixedBody,
    kChunkSize,
    kChunkSizeBws,  // whitespace after the size: only more of it or ';' may follow
    kChunkExtension,
    kChunkSizeLf,
    kChunkData,
    kChunkDataCr,
    kChunkDataLf,
    kTrailerLineStart,
    kTrailerLine,
    kTrailerLineLf,
    kTrailerEndLf,
    kComplete,
    kError,
  };

  FeedResult FeedHead(std::string_view data);
  FeedResult FeedBody(std::string_view data);
  // Parses the complete head in head_ into request_ and picks the body phase.
  bool ParseHead();
  bool ParseRequestLine(std::string_view line);
  bool ParseHeaderLine(std::string_view line);
  bool ApplyFraming();
  FeedResult Fail(StatusCode status, std::string_view message, std::size_t consumed);
  bool SetError(StatusCode status, std::string_view message);
  FeedResult Finish(std::size_t consumed);

  ParserLimits limits_;
  Phase phase_ = Phase::kHead;
  Request request_;
  ParseError error_;

  // Head scanning state.
  std::string head_;                  // the head as received, request line first
  std::size_t line_start_ = 0;        // offset in head_ of the line being received
  std::size_t request_line_end_ = 0;  // offset just past the request line; 0 while receiving it
  std::size_t header_lines_ = 0;
  std::size_t skipped_empty_bytes_ = 0;
  bool head_uses_crlf_ = true;  // how the request line ended; every later line must match
  ParsedTarget target_;

  // Framing facts gathered while parsing header lines.
  std::size_t host_count_ = 0;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool transfer_encoding_present_ = false;
  bool transfer_encoding_last_chunked_ = false;
  std::size_t transfer_encoding_chunked_count_ = 0;
  bool transfer_encoding_unknown_ = false;

  // Body state.
  std::string body_;
  std::uint64_t remaining_ = 0;  // bytes left of the fixed body or of the current chunk
  std::uint64_t chunk_size_ = 0;
  std::size_t chunk_line_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace corral::http
