// HealthCheck: the liveness probe of one READY server process (ServerSpec.health): every
// interval it connects to the server's first socket and asks, within the timeout,
//   http:/PATH  for a 2xx answer to GET PATH;
//   tcp         that the server accept(2) the connection (accept_check.h: the agent holds the
//               listener, so a connect alone always succeeds).
// After `failures` failed probes in a row it reports once, with the last failure's reason, and
// probes no more: the supervisor restarts the process and starts a new check for the next one.
//
// Runs in the agent's event loop and never blocks it: non-blocking connect, the socket watched
// by the loop, timers for the interval, the deadline and the tcp check's polls.
// Thread-safety: loop thread only, construction and destruction included. The destructor
// cancels everything; `on_unhealthy` runs from a loop task, so it may destroy the check.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "agent/event_loop.h"
#include "base/unique_fd.h"
#include "spec/health_mode.h"

namespace corral::agent {

class HealthCheck {
 public:
  struct Options {
    spec::HealthMode mode;
    std::string address;  // HOST:PORT of the server's first socket
    std::chrono::milliseconds interval{5000};
    std::chrono::milliseconds timeout{1000};
    uint32_t failures = 3;  // >= 1
  };
  // `reason`: "health check http:/healthz failed 3 times: timeout after 1000 ms".
  using UnhealthyCallback = std::function<void(std::string reason)>;

  // The first probe runs one interval from now.
  HealthCheck(EventLoop& loop, Options options, UnhealthyCallback on_unhealthy);
  ~HealthCheck();
  HealthCheck(const HealthCheck&) = delete;
  HealthCheck& operator=(const HealthCheck&) = delete;

  // "http:/healthz" or "tcp", as in the spec.
  std::string Name() const;

 private:
  void Schedule(std::chrono::milliseconds delay);
  void Begin();
  // Connected (or failed to): send the request (http) or start polling the accept (tcp).
  void OnConnected();
  void OnWritable();
  void OnReadable();
  void PollAccepted();
  // Watches the probe socket for `events`, replacing what was watched.
  void WatchFor(uint32_t events);
  // Ends the current probe: OK passed, otherwise the reason it failed.
  void Finish(const absl::Status& result);
  void Close();

  EventLoop& loop_;
  const Options options_;
  const UnhealthyCallback on_unhealthy_;

  // The probe under way.
  base::UniqueFd fd_;
  bool watched_ = false;
  bool connected_ = false;
  std::string request_;
  size_t sent_ = 0;
  std::string answer_;
  EventLoop::TimerId deadline_ = 0;
  EventLoop::TimerId poll_ = 0;

  EventLoop::TimerId next_ = 0;
  uint32_t failed_in_a_row_ = 0;
  bool reported_ = false;
};

}  // namespace corral::agent
