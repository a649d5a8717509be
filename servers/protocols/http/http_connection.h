#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "servers/net/min_rate_deadline.h"
#include "servers/net/stream.h"
#include "servers/protocols/http/http_protocol.h"
#include "servers/protocols/http/idle_connections.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/response.h"
#include "servers/protocols/http/router.h"
#include "servers/stats/error_kind.h"

namespace corral::http {

// HttpConnection: one client connection of HttpProtocol, from the first read to the close
// (which the caller does). It owns everything a request needs and reuses it for the next one
// on the connection: the 16 KiB read buffer, the parser, the Response, the head buffer and
// the small-file buffer, so a keep-alive connection's steady state allocates only what its
// handlers do.
//
// The rules it implements (RFC 9112):
//  - Persistent by default; "Connection: close", an HTTP/1.0 request without keep-alive, a
//    handler's RequestClose() or any parse error end the connection after the response.
//  - Pipelined requests are parsed from the bytes already read and answered in order.
//  - Timeouts: a request's head must be complete within header_timeout of the accept (the
//    first request) or of the end of the previous response; leading empty lines do not move
//    that clock. Late: 408 and close, or a quiet close if nothing of a request arrived. A
//    body must keep up options.body_rate (min_rate_deadline.h), and each read of it must
//    bring something within idle_timeout; otherwise 408 and close. Header and body
//    deadlines are counted in the stream's scoreboard slot (ErrorKind).
//  - Sending: a response without body bytes (HEAD, 304, ...) is one write of the head; an
//    in-memory body goes with the head in one writev; a file body of at most
//    kSmallFileBytes is pread and sent with the head in one writev (one segment on the wire
//    for a small page), a larger one as head then sendfile. The file comes already open
//    from the handler (FileResolver opens it confined to the root) and is closed as soon as
//    the response is sent.
//  - When the server closes first it shuts its sending side down and discards what the
//    client still sends, briefly (at most kLingerTime / kLingerBytes), so the client reads
//    the final response instead of a reset caused by unread pipelined bytes. Not when the
//    client itself asked for the close (a request without keep-alive) and sent nothing
//    after that request: it may send no more (RFC 9112 9.6), so the socket closes at once;
//    nor when the close makes room for a waiting client and nothing more has arrived (a
//    linger would hold the very worker that client waits for).
//
//  - Waiting clients (design decision 24): while clients wait for a worker that every
//    connection holds, a response says Connection: close, and a wait for a next request ends
//    (Stream::ReadNext) and the connection closes quietly, so that the worker takes one of them.
//    A request of which a byte has arrived is always served.
//  - Drain: once `idle` is draining, each response says Connection: close and the connection
//    closes after it; a wait for a next request is registered with `idle`, whose sweep ends it
//    shortly after the drain begins.
//
// Lives on the serving worker's stack (or greenlet's); not thread-safe. `router`, `options`,
// `idle` and `stream` must outlive it.
class HttpConnection {
 public:
  static constexpr std::size_t kReadBufferBytes = 16 * 1024;
  static constexpr std::size_t kSmallFileBytes = 16 * 1024;
  static constexpr std::size_t kSendFileChunkBytes = 1024 * 1024;  // each with a fresh deadline
  static constexpr std::chrono::milliseconds kLingerTime{1'000};
  static constexpr std::size_t kLingerBytes = 256 * 1024;

  HttpConnection(const Router& router, const HttpOptions& options, IdleConnections& idle,
                 net::Stream& stream);

  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Serves requests until the connection is to be closed.
  void Run();

 private:
  // Dispatches the complete request and sends the response. False when the connection ends.
  // Counts the request, with its latency from `start` (the read that brought its first byte)
  // to its last byte written, in the stream's scoreboard slot, if any. `more_input`: bytes
  // after this request were already read (pipelined).
  bool Answer(net::Clock::time_point start, bool more_input);
  // Sends `status` with Connection: close, then lingers. The connection ends.
  void AnswerErrorAndClose(StatusCode status);
  // A read found nothing by `deadline`: counts which limit that was and answers 408 if a
  // request had begun. The connection ends.
  void OnReadDeadline(net::Deadline deadline, net::Deadline header_deadline,
                      const std::optional<net::MinRateDeadline>& body, bool answered);
  void CountError(stats::ErrorKind kind);
  // The access log's line for `request`, whose response_ was just sent.
  void LogAccess(const Request& request, std::chrono::nanoseconds latency) const;
  // Sends response_ for a request of `method`. False when the connection broke.
  bool Send(Method method, const HeadOptions& options);
  bool SendFileBody(Method method, const HeadOptions& options);
  void LingeringClose();
  absl::Status Write(std::string_view bytes);

  const Router& router_;
  const HttpOptions& options_;
  IdleConnections& idle_;
  net::Stream& stream_;
  RequestParser parser_;
  Response response_;
  std::string head_;
  std::unique_ptr<char[]> read_buffer_;
  std::unique_ptr<char[]> file_buffer_;  // kSmallFileBytes, allocated at the first small file
};

}  // namespace corral::http
