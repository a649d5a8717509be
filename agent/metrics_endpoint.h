// MetricsEndpoint: the opt-in Prometheus scrape target (--metrics-listen HOST:PORT). A minimal
// HTTP/1.1 responder on a thread of its own: it answers `GET /metrics` with the text that
// `render` returns (text/plain; version=0.0.4), 404 for other paths, 405 for other methods,
// one request per connection (Connection: close). Requests are served one at a time; a client
// that sends nothing for 5 s is dropped, so one stuck scraper cannot hold the agent's memory.
//
// Threads: Start and the destructor from one thread (main); `render` runs on the endpoint's
// thread and may block (it waits for the agent's loop).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "servers/net/unique_fd.h"

namespace corral::agent {

class MetricsEndpoint {
 public:
  using Render = std::function<std::string()>;

  // Listens on `host_port` ("127.0.0.1:9464", port 0 for any) and starts the thread.
  // Errors: INVALID_ARGUMENT for a bad address, the bind/listen failure otherwise.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& host_port,
                                                                Render render);
  // Stops the thread (after the request in progress) and closes the listener.
  ~MetricsEndpoint();

  // "HOST:PORT" actually bound (the real port when 0 was asked).
  const std::string& address() const { return address_; }

 private:
  MetricsEndpoint(net::UniqueFd listener, net::UniqueFd wakeup, std::string address, Render render);
  void Serve();
  void Answer(int fd);

  net::UniqueFd listener_;
  net::UniqueFd wakeup_;  // eventfd: the destructor writes it to end Serve()
  std::string address_;
  Render render_;
  std::thread thread_;
};

}  // namespace corral::agent
