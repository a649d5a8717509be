// When each request of an open-loop (fixed-rate) run is due. Connection i of N sends its k-th
// request at start + i/rate + k*N/rate: every connection at rate/N, and the connections
// interleaved so the whole run sends one request every 1/rate. The schedule never looks at
// answers: a late answer delays nothing that is due after it, which is what makes latency
// measured from these times count a stall against every request it holds up.
#pragma once

#include <chrono>
#include <cstdint>

namespace corral::load {

class OpenLoopSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // `rate` requests per second over `connections` connections, from `start`.
  OpenLoopSchedule(Clock::time_point start, double rate, int connections)
      : start_(start), rate_(rate), connections_(connections) {}

  // The time request `k` (0-based) of connection `connection` is due.
  Clock::time_point Due(int connection, uint64_t k) const {
    double seconds = (static_cast<double>(connection) +
                      static_cast<double>(k) * static_cast<double>(connections_)) /
                     rate_;
    return start_ +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

 private:
  Clock::time_point start_;
  double rate_;
  int connections_;
};

}  // namespace corral::load
