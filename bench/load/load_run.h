// What one load run is asked to do and what it found. Shared by the TCP, UDP and idle drivers and
// by the report printer.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <string>

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
};

struct LoadResult {
  uint64_t messages = 0;           // verified echoes completed in the measured window
  uint64_t bytes = 0;              // their payload bytes (one direction)
  uint64_t wrong_echoes = 0;       // echoes that differ from what was sent: must be 0
  uint64_t connection_errors = 0;  // connect failures, resets, early EOF: must be 0
  uint64_t losses = 0;             // UDP datagrams unanswered within the timeout
  uint64_t late_replies = 0;       // UDP replies to a datagram already counted lost
  double seconds = 0;              // length of the measured window
  LatencyHistogram latency;

  void Merge(const LoadResult& other);
  bool Ok() const { return wrong_echoes == 0 && connection_errors == 0; }
};

// "HOST:PORT" with a numeric 127.x.y.z host (the benchmarks target loopback only); false with
// `error` set otherwise.
bool ParseLoopbackTarget(const std::string& text, sockaddr_in* out, std::string* error);

// One line per figure for a terminal, or one JSON object, on stdout.
void PrintResult(const std::string& mode, const LoadOptions& options, const LoadResult& result,
                 bool json);

}  // namespace corral::load
