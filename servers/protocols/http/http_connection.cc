#include "servers/protocols/http/http_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "servers/protocols/http/error_response.h"
#include "servers/stats/slot_writer.h"

namespace corral::http {
namespace {

// Reads exactly `length` bytes at `offset`, retrying EINTR; false if the file is shorter.
bool PreadFully(int fd, char* out, std::size_t length, off_t offset) {
  while (length > 0) {
    ssize_t n = ::pread(fd, out, length, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    length -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

}  // namespace

HttpConnection::HttpConnection(const Router& router, const HttpOptions& options,
                               IdleConnections& idle, net::Stream& stream)
    : router_(router),
      options_(options),
      idle_(idle),
      stream_(stream),
      parser_(options.limits),
      read_buffer_(std::make_unique_for_overwrite<char[]>(kReadBufferBytes)) {}

void HttpConnection::Run() {
  std::string_view pending;  // read, not yet fed to the parser
  bool in_body = false;      // the current request's head is complete, its body is not
  bool answered = false;     // a response was sent on this connection
  // The next request's head must be complete by this: header_timeout from the accept, then
  // from the end of each response. Leading empty lines do not move it, so neither silence nor
  // a trickle of CRLFs holds the connection longer.
  net::Deadline header_deadline = net::DeadlineAfter(options_.header_timeout);
  std::optional<net::MinRateDeadline> body;  // while in_body
  net::Clock::time_point last_read = net::Clock::now();
  net::Clock::time_point request_start = last_read;  // the read with its first byte
  for (;;) {
    while (!pending.empty()) {
      if (!parser_.started()) request_start = last_read;
      const bool feeding_body = in_body;
      FeedResult result = parser_.Feed(pending);
      pending.remove_prefix(result.consumed);
      if (feeding_body) body->Add(result.consumed);
      switch (result.status) {
        case ParseStatus::kNeedMore:
          break;
        case ParseStatus::kHeadComplete:
          in_body = true;
          body.emplace(options_.body_rate);
          if (parser_.request().expect_continue && !Write(kContinueResponse).ok()) return;
          break;
        case ParseStatus::kComplete:
          if (!Answer(request_start, !pending.empty())) return;
          answered = true;
          parser_.Reset();
          in_body = false;
          body.reset();
          // The next request's clock starts now, not while this response (maybe a long file)
          // was being sent.
          header_deadline = net::DeadlineAfter(options_.header_timeout);
          if (!pending.empty()) last_read = net::Clock::now();
          break;
        case ParseStatus::kError:
          CountError(stats::ErrorKind::kProtocol);
          AnswerErrorAndClose(parser_.error().status);
          return;
      }
    }
    const net::Deadline deadline =
        in_body ? body->NextRead(options_.idle_timeout)
                : std::min(header_deadline, net::DeadlineAfter(options_.idle_timeout));
    absl::StatusOr<std::size_t> n;
    if (parser_.started()) {
      n = stream_.Read(read_buffer_.get(), kReadBufferBytes, deadline);
    } else {
      // Between requests: a drain may end this wait (then the read sees end of stream), and so
      // may a client waiting for this worker (the connection closes quietly, as after an idle
      // timeout: nothing of a next request had arrived).
      IdleConnections::Waiting waiting(idle_, stream_.fd());
      n = stream_.ReadNext(read_buffer_.get(), kReadBufferBytes, deadline);
    }
    if (!n.ok()) {
      if (absl::IsDeadlineExceeded(n.status()))
        OnReadDeadline(deadline, header_deadline, body, answered);
      return;
    }
    if (*n == 0) return;  // the client closed; a half-received request has no one to answer
    last_read = net::Clock::now();
    pending = std::string_view(read_buffer_.get(), *n);
  }
}

void HttpConnection::OnReadDeadline(net::Deadline deadline, net::Deadline header_deadline,
                                    const std::optional<net::MinRateDeadline>& body,
                                    bool answered) {
  if (body.has_value()) {
    // Too slow a body, by its rate or by a read that brought nothing for the idle timeout.
    if (body->IsRateDeadline(deadline)) CountError(stats::ErrorKind::kBodyTimeout);
  } else if (deadline == header_deadline && (parser_.started() || !answered)) {
    // A head that did not arrive in time, or a new connection that sent no request: what a
    // client holding connections open does. A keep-alive connection that goes quiet after
    // its responses is not counted: that is how keep-alive ends.
    CountError(stats::ErrorKind::kHeaderTimeout);
  }
  // Silence between requests ends the connection quietly; inside one it is a 408.
  if (parser_.started()) AnswerErrorAndClose(StatusCode::kRequestTimeout);
}

void HttpConnection::CountError(stats::ErrorKind kind) {
  if (stats::SlotWriter* slot = stats::SlotOf(stream_.accounting())) slot->OnError(kind);
}

bool HttpConnection::Answer(net::Clock::time_point start, bool more_input) {
  const Request& request = parser_.request();
  router_.Dispatch(request, response_);
  HeadOptions options;
  // A draining server tells each client to leave with its next response (RFC 9112 9.6), and so
  // does one whose workers are all taken while clients wait: this one reconnects behind them.
  const bool yielding = request.keep_alive && !idle_.draining() && stream_.OthersWaiting();
  options.keep_alive = request.keep_alive && !idle_.draining() && !yielding;
  options.version = request.version;
  if (!Send(request.method, options)) return false;
  // A server error answered is still a failed request (a user route's 500, a file's EIO).
  if (static_cast<int>(response_.status()) >= 500) CountError(stats::ErrorKind::kProtocol);
  const bool keep_alive = response_.KeepsAlive(options);
  const std::chrono::nanoseconds latency = net::Clock::now() - start;
  if (options_.access_log != nullptr) LogAccess(request, latency);
  response_.Reset();  // closes a sent file now, not when the next request comes
  if (stats::SlotWriter* stats = stats::SlotOf(stream_.accounting())) {
    stats->OnRequest(static_cast<std::uint64_t>(latency.count()));
  }
  if (keep_alive) return true;
  // A client that asked for the close sends nothing after this request (RFC 9112 9.6), so
  // unless it already did, close at once, as nginx does: lingering costs a shutdown, a wait
  // and two reads on every such connection. So does a connection closed for a waiting client
  // with nothing more arrived, as nginx closes idle keep-alive connections when it runs short
  // of them: the linger held the worker the client waits for until this client's FIN came
  // back, which at --max-workers 2 under 50 clients cut the rate 2-3x (bench/README.md).
  if ((request.keep_alive && !yielding) || more_input) LingeringClose();
  return false;
}

void HttpConnection::AnswerErrorAndClose(StatusCode status) {
  MakeErrorResponse(status, &response_);
  HeadOptions options;
  options.keep_alive = false;
  // The request is unknown or incomplete: answer as for a GET, with the error body.
  const bool sent = Send(Method::kGet, options);
  // Logged with what was parsed of it (maybe nothing: "-"), its duration unknown (0).
  if (sent && options_.access_log != nullptr) {
    options_.access_log->Write(parser_.request().method_token, parser_.request().target,
                               static_cast<int>(response_.status()), response_.content_length(),
                               std::chrono::nanoseconds(0));
  }
  if (sent) LingeringClose();
}

void HttpConnection::LogAccess(const Request& request, std::chrono::nanoseconds latency) const {
  const std::uint64_t bytes =
      ResponseHasBody(request.method, response_.status()) ? response_.content_length() : 0;
  options_.access_log->Write(request.method_token, request.target,
                             static_cast<int>(response_.status()), bytes, latency);
}

bool HttpConnection::Send(Method method, const HeadOptions& options) {
  if (!ResponseHasBody(method, response_.status())) {
    response_.SerializeHead(options, &head_);
    return Write(head_).ok();
  }
  if (response_.has_file_body()) return SendFileBody(method, options);
  response_.SerializeHead(options, &head_);
  std::string_view body = response_.body();
  iovec iov[2] = {{head_.data(), head_.size()}, {const_cast<char*>(body.data()), body.size()}};
  return stream_.WriteAllV(iov, body.empty() ? 1 : 2, net::DeadlineAfter(options_.idle_timeout))
      .ok();
}

bool HttpConnection::SendFileBody(Method method, const HeadOptions& options) {
  const FileBody& file = response_.file_body();
  const int fd = file.fd.get();
  response_.SerializeHead(options, &head_);
  const off_t offset = static_cast<off_t>(file.offset);
  if (file.length <= kSmallFileBytes) {
    if (!file_buffer_) file_buffer_ = std::make_unique_for_overwrite<char[]>(kSmallFileBytes);
    // Shorter than stat() said: it shrank since; the head would lie, so send nothing.
    if (!PreadFully(fd, file_buffer_.get(), file.length, offset)) return false;
    iovec iov[2] = {{head_.data(), head_.size()}, {file_buffer_.get(), file.length}};
    return stream_.WriteAllV(iov, 2, net::DeadlineAfter(options_.idle_timeout)).ok();
  }
  if (!Write(head_).ok()) return false;
  // A fresh deadline per chunk: a large file to a slow but steady client must not fail just
  // because the whole transfer outlasts the idle timeout.
  for (std::uint64_t sent = 0; sent < file.length;) {
    const std::size_t chunk =
        static_cast<std::size_t>(std::min<std::uint64_t>(file.length - sent, kSendFileChunkBytes));
    if (!stream_
             .SendFile(fd, offset + static_cast<off_t>(sent), chunk,
                       net::DeadlineAfter(options_.idle_timeout))
             .ok()) {
      return false;
    }
    sent += chunk;
  }
  return true;
}

void HttpConnection::LingeringClose() {
  if (::shutdown(stream_.fd(), SHUT_WR) != 0) return;
  const net::Deadline until =
      net::DeadlineAfter(std::min<std::chrono::milliseconds>(kLingerTime, options_.idle_timeout));
  for (std::size_t discarded = 0; discarded < kLingerBytes;) {
    absl::StatusOr<std::size_t> n = stream_.Read(read_buffer_.get(), kReadBufferBytes, until);
    if (!n.ok() || *n == 0) return;
    discarded += *n;
  }
}

absl::Status HttpConnection::Write(std::string_view bytes) {
  return stream_.WriteAll(bytes.data(), bytes.size(), net::DeadlineAfter(options_.idle_timeout));
}

}  // namespace corral::http
