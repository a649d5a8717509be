// Http2Connection: an HTTP/2 client connection (nghttp2, over cleartext with prior knowledge, as
// gRPC uses it) carrying one request at a time, driven on the caller's thread by blocking waits
// with deadlines. No threads, no event loop: a corralctl command makes a handful of calls and
// exits, so the connection only moves bytes while the caller waits for a response.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ctl/rpc/agent_socket.h"

struct nghttp2_session;

namespace corral::ctl::rpc {

class Http2Connection {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // The response to the current request, as far as it has arrived.
  struct Response {
    Headers headers;   // every response header and trailer field, in arrival order
    std::string data;  // DATA bytes the caller has not taken yet
    bool closed = false;
    uint32_t reset_code = 0;  // the HTTP/2 error code when the stream was reset (0: none)
  };

  // Connects to `target` (see ConnectToAgent) and sends HTTP/2's preface and settings.
  static absl::StatusOr<std::unique_ptr<Http2Connection>> Open(const std::string& target,
                                                               absl::Time deadline);
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Starts a POST to `path` with `headers` (lower-case names) and `body`, replacing the previous
  // request's response. The body is sent as Pump() runs.
  absl::Status Submit(std::string_view path, const Headers& headers, std::string body);

  // Sends what is pending, then waits for the response to grow (or close) and takes it in.
  // DeadlineExceeded when nothing arrives by `deadline`; Unavailable when the connection broke
  // (then the connection is unusable: broken() is true).
  absl::Status Pump(absl::Time deadline);

  // Resets the current request's stream (CANCEL), best effort: the peer may be gone.
  void Cancel();

  Response& response() { return response_; }
  bool broken() const { return broken_; }

 private:
  explicit Http2Connection(AgentSocket socket);
  absl::Status Flush(absl::Time deadline);
  absl::Status Broken(absl::Status status);

  AgentSocket socket_;
  nghttp2_session* session_ = nullptr;
  int32_t stream_id_ = -1;
  std::string body_;
  size_t body_sent_ = 0;
  Response response_;
  bool broken_ = false;

  friend struct Http2Callbacks;
};

}  // namespace corral::ctl::rpc
