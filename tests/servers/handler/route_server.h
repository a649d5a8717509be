// RouteServer: an HttpProtocol serving a route table (and the files under a root) on
// 127.0.0.1:0, one connection at a time on a thread of its own, counting into a scoreboard slot
// of its own. What the host_http and http.hpp tests send real HTTP requests to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "base/unique_fd.h"
#include "servers/protocols/http/http_protocol.h"
#include "servers/stats/layout.h"

namespace corral::testing {

class RouteServer {
 public:
  RouteServer() = default;
  RouteServer(const RouteServer&) = delete;
  RouteServer& operator=(const RouteServer&) = delete;
  // Stops accepting and joins the thread (after the connection in progress ends).
  ~RouteServer();

  absl::Status Start(const std::string& root, std::shared_ptr<const http::RouteTable> routes);

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  uint64_t requests() const { return slot_.counters.requests.load(); }
  uint64_t protocol_errors() const;

 private:
  stats::SlotLayout slot_{};
  std::unique_ptr<http::HttpProtocol> protocol_;
  base::UniqueFd listener_;
  std::string address_;
  std::thread thread_;
};

}  // namespace corral::testing
