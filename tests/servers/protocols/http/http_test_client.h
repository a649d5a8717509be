// HttpTestClient: a raw-socket HTTP/1.1 client for integration tests. It sends exactly the
// bytes a test gives it (so tests can pipeline, split, or send garbage) and parses what comes
// back strictly enough to prove framing: a response's body is exactly Content-Length bytes,
// and whatever follows belongs to the next response.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"

namespace corral::testing {

struct HttpReply {
  int status = 0;
  std::string status_line;                                   // without CRLF
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class HttpTestClient {
 public:
  // Connects to "host:port"; connected() says whether it worked.
  explicit HttpTestClient(const std::string& address);

  bool connected() const { return static_cast<bool>(fd_); }
  int fd() const { return fd_.get(); }

  // Sends all of `bytes`; false on error or after 30 s.
  bool Send(std::string_view bytes);

  // Reads one response. `head_request`: the request was HEAD, so no body follows whatever
  // Content-Length says. 1xx, 204 and 304 have no body either. nullopt when the connection
  // closed or nothing complete arrived within `timeout`.
  std::optional<HttpReply> Read(bool head_request = false,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Whether the server closes the connection (EOF or reset, with no further response bytes)
  // within `timeout`. Bytes that arrive instead make it false.
  bool ClosedByServer(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  // Appends at least one byte to buffer_; false on EOF, error or deadline.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  base::UniqueFd fd_;
  std::string buffer_;  // received, not yet returned
};

// GET `path` on a fresh connection with "Connection: close"; the reply or nullopt.
std::optional<HttpReply> FetchOnce(const std::string& address, const std::string& request);

// A request with the usual Host header: Request("GET", "/a") ->
// "GET /a HTTP/1.1\r\nHost: test\r\n<extra>\r\n".
std::string Request(std::string_view method, std::string_view target, std::string_view extra = "");

}  // namespace corral::testing
