#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "servers/stats/error_kind.h"
#include "servers/stats/histogram.h"
#include "servers/stats/snapshot.h"

namespace corral::stats {

// Snapshot arithmetic for the agent: what happened between two reads of the same scoreboard.
// Pure functions on plain values; any thread.

// Latency percentiles in nanoseconds (bucket midpoints, within 0.78% of the true sample).
struct LatencySummary {
  uint64_t count = 0;
  double mean_ns = 0;
  uint64_t p50_ns = 0;
  uint64_t p90_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t p999_ns = 0;
  uint64_t max_ns = 0;
};
LatencySummary Summarize(const HistogramSnapshot& histogram);

// Events per second over an interval.
struct CounterRates {
  double accepted = 0;
  double closed = 0;
  double requests = 0;
  double bytes_in = 0;
  double bytes_out = 0;
  std::array<double, kErrorKindCount> errors{};  // indexed by ErrorKind
  double total_errors = 0;
};
// `delta` spread over `seconds`; all zero when seconds <= 0.
CounterRates RatesPerSecond(const CounterSet& delta, double seconds);

struct IntervalStats {
  // True when `cur` comes from a different server run than `prev` (new pid, start time or
  // generation) or a counter went down: `cur` is then measured from zero, over the part of the
  // interval the new run has existed.
  bool restarted = false;
  double seconds = 0;                    // length of the interval the deltas cover
  CounterSet delta;                      // counts in the interval (never negative)
  CounterRates rates;                    // delta / seconds
  std::vector<CounterRates> slot_rates;  // per slot, parallel to cur.slots

  // Gauges at `cur`.
  uint64_t active_connections = 0;
  uint32_t busy_workers = 0;
  uint32_t idle_workers = 0;
  uint32_t free_slots = 0;
  double uptime_seconds = 0;

  LatencySummary interval_latency;  // requests finished in the interval
  LatencySummary lifetime_latency;  // since the server started
};

// `prev` and `cur` are two reads of the same path, `cur` taken later.
IntervalStats ComputeInterval(const Snapshot& prev, const Snapshot& cur);

// Everything at `cur` as if measured from the server's start (for the first read).
IntervalStats ComputeSinceStart(const Snapshot& cur);

}  // namespace corral::stats
