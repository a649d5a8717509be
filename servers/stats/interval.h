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

  // Gauges at `cur`. Workers mean the same under every model: busy + left = cap.
  uint64_t active_connections = 0;
  uint32_t busy_workers = 0;  // clients served now: open connections, or busy slots (datagrams)
  uint32_t idle_workers = 0;  // started workers (slots owned) waiting for a client
  uint32_t free_slots = 0;    // slots with no owner (internal: there are max_workers + 1)
  uint32_t worker_cap = 0;    // the spec's max_workers; 0: unknown
  uint32_t workers_left = 0;  // worker_cap - busy_workers, floored at 0
  double uptime_seconds = 0;

  LatencySummary interval_latency;  // requests finished in the interval
  LatencySummary lifetime_latency;  // since the server started
};

// `prev` and `cur` are two reads of the same path, `cur` taken later.
IntervalStats ComputeInterval(const Snapshot& prev, const Snapshot& cur);

// Everything at `cur` as if measured from the server's start (for the first read).
IntervalStats ComputeSinceStart(const Snapshot& cur);

// The first read of a consumer that wants rates of now, not of the server's life: since the
// start when the server is at most `max_seconds` old (that is recent), otherwise the gauges and
// totals only (seconds 0, rates and interval latency zero) until a second read exists.
IntervalStats ComputeFirst(const Snapshot& cur, double max_seconds);

}  // namespace corral::stats
