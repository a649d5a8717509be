// What one load run is asked to do and what it found. Shared by the TCP, UDP, HTTP and idle
// drivers and by the report printer.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/latency_histogram.h"

namespace corral::load {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  sockaddr_in target{};
  int connections = 50;  // TCP connections or UDP sockets, spread over `threads`
  size_t size = 64;      // bytes per message
  std::chrono::duration<double> duration{5.0};  // measured time, after the warmup
  std::chrono::duration<double> warmup{1.0};    // run but not counted
  int threads = 1;
  std::chrono::milliseconds udp_timeout{1000};  // a datagram unanswered this long is lost
  std::chrono::duration<double> idle_hold{5.0};

  // HTTP mode (http_load.h).
  std::string path = "/";
  bool close = false;       // "Connection: close" on every request, a connection per request
  int expect_status = 200;  // any other status is a bad response
  long expect_length = -1;  // the body length every response must have; -1: any
  // Open loop: requests per second over all connections, each connection sending on its own
  // fixed schedule whether or not earlier answers came (0: closed loop, one request in flight
  // per connection). Latency then counts from the scheduled send time.
  double rate = 0;
  std::chrono::duration<double> drain{1.0};  // open loop: wait this long for late answers
  // When the run starts (its warmup, then its measured window; an open loop's schedule too):
  // shared by every load thread, so their connections interleave. Unset: when each loop starts.
  Clock::time_point start{};
};

struct LoadResult {
  uint64_t messages = 0;           // verified echoes completed in the measured window
  uint64_t bytes = 0;              // their payload bytes (one direction)
  uint64_t wrong_echoes = 0;       // echoes that differ from what was sent: must be 0
  uint64_t connection_errors = 0;  // connect failures, resets, early EOF: must be 0
  uint64_t losses = 0;             // UDP datagrams unanswered within the timeout
  uint64_t late_replies = 0;       // UDP replies to a datagram already counted lost
  uint64_t bad_responses = 0;      // HTTP: a wrong status or body length, or unframeable
  uint64_t retries = 0;            // HTTP: requests resent after a server closed an idle
                                   // keep-alive connection before reading them (as browsers do)
  uint64_t scheduled = 0;          // open loop: requests scheduled in the measured window
  uint64_t unanswered = 0;         // open loop: of those, not answered by the end of the drain
  double seconds = 0;              // length of the measured window
  LatencyHistogram latency;
  // Answers counted in the measured window, one entry per load connection (a slot that
  // reconnects under Connection: close stays one entry), in connection order.
  std::vector<uint64_t> per_connection;
  // HTTP: the answers counted in each second of the measured window, by when they arrived
  // (entry 0: its first second), so a dip can be placed in time; they sum to `messages`.
  std::vector<uint64_t> per_second;
  double window_start_unix = 0;  // HTTP: wall-clock seconds since the epoch at the window's start

  // Appends `other`'s connections after this one's: merge threads in connection order.
  void Merge(const LoadResult& other);
  bool Ok() const { return wrong_echoes == 0 && connection_errors == 0 && bad_responses == 0; }
  // Connections with at least one answer in the measured window.
  int AnsweredConnections() const;
  // The slowest connection's answers over the mean per connection: 1 when every connection
  // was served alike, 0 when one got nothing. 0 when nothing was answered at all.
  double SlowestShare() const;
};

// "HOST:PORT" with a numeric 127.x.y.z host (the benchmarks target loopback only); false with
// `error` set otherwise.
bool ParseLoopbackTarget(const std::string& text, sockaddr_in* out, std::string* error);

// One line per figure for a terminal, or one JSON object, on stdout.
void PrintResult(const std::string& mode, const LoadOptions& options, const LoadResult& result,
                 bool json);

}  // namespace corral::load
