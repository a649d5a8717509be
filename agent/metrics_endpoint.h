// MetricsEndpoint: the opt-in Prometheus scrape target (--metrics-listen HOST:PORT). A minimal
// HTTP/1.1 responder on a thread of its own: it answers `GET /metrics` with the text that
// `render` returns (text/plain; version=0.0.4), 404 for other paths, 405 for other methods,
// one request per connection (Connection: close).
//
// One poll loop serves every connection at once, so a slow or silent client never holds up a
// scrape. Each connection is closed kConnectionDeadline after it was accepted, answered or not,
// however it trickles; at most kMaxConnections are open, and one more closes the oldest (a
// scraper sends its request at once, so the oldest is the one that dawdles).
//
// Threads: Start and the destructor from one thread (main); `render` runs on the endpoint's
// thread and may block (it waits for the agent's loop, 5 s at most); the other connections
// wait meanwhile.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::agent {

class MetricsEndpoint {
 public:
  using Render = std::function<std::string()>;

  static constexpr std::chrono::seconds kConnectionDeadline{5};
  static constexpr size_t kMaxConnections = 32;

  // Listens on `host_port` ("127.0.0.1:9464", port 0 for any) and starts the thread.
  // Errors: INVALID_ARGUMENT for a bad address, the bind/listen failure otherwise.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& host_port,
                                                                Render render);
  // Stops the thread (after the render in progress) and closes every connection and the
  // listener.
  ~MetricsEndpoint();

  // "HOST:PORT" actually bound (the real port when 0 was asked).
  const std::string& address() const { return address_; }

 private:
  struct Connection;

  MetricsEndpoint(base::UniqueFd listener, base::UniqueFd wakeup, std::string address,
                  Render render);
  void Serve();
  // Reads what `connection` sent, or writes it what is left of its answer; false once it is
  // done with (answered, gone, or broken).
  bool Progress(Connection& connection);
  // The whole answer to `request` (its first line decides).
  std::string Answer(const std::string& request);

  base::UniqueFd listener_;
  base::UniqueFd wakeup_;  // eventfd: the destructor writes it to end Serve()
  std::string address_;
  Render render_;
  std::thread thread_;
};

}  // namespace corral::agent
