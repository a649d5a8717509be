#include "servers/stats/interval.h"

#include <algorithm>

namespace corral::stats {
namespace {

constexpr double kNsPerSecond = 1e9;

double UptimeSeconds(const Snapshot& s) {
  if (s.taken_unix_ns <= s.identity.start_time_unix_ns) return 0;
  return static_cast<double>(s.taken_unix_ns - s.identity.start_time_unix_ns) / kNsPerSecond;
}

// Fills everything that depends only on `cur` and on the interval's deltas.
IntervalStats Finish(const Snapshot& cur, const Snapshot* base, double seconds) {
  IntervalStats st;
  st.seconds = seconds;
  st.delta = base != nullptr ? cur.totals.Minus(base->totals) : cur.totals;
  st.rates = RatesPerSecond(st.delta, seconds);
  st.slot_rates.reserve(cur.slots.size());
  for (size_t i = 0; i < cur.slots.size(); ++i) {
    const CounterSet& now = cur.slots[i].counters;
    const CounterSet d = base != nullptr ? now.Minus(base->slots[i].counters) : now;
    st.slot_rates.push_back(RatesPerSecond(d, seconds));
  }
  st.active_connections = cur.totals.active();
  // Clients served now: open connections (a coroutine hub serves many on one slot) or, for
  // datagrams, which open none, the slots busy with one.
  st.busy_workers =
      static_cast<uint32_t>(std::max<uint64_t>(st.active_connections, cur.busy_workers()));
  st.worker_cap = cur.worker_cap;
  st.workers_left = st.worker_cap > st.busy_workers ? st.worker_cap - st.busy_workers : 0;
  st.idle_workers = cur.idle_workers();
  st.free_slots = cur.free_slots();
  st.uptime_seconds = UptimeSeconds(cur);
  st.interval_latency = Summarize(base != nullptr ? cur.latency.Minus(base->latency) : cur.latency);
  st.lifetime_latency = Summarize(cur.latency);
  return st;
}

}  // namespace

LatencySummary Summarize(const HistogramSnapshot& h) {
  LatencySummary s;
  s.count = h.count;
  s.mean_ns = h.MeanNs();
  s.p50_ns = h.ValueAtQuantile(0.50);
  s.p90_ns = h.ValueAtQuantile(0.90);
  s.p99_ns = h.ValueAtQuantile(0.99);
  s.p999_ns = h.ValueAtQuantile(0.999);
  s.max_ns = h.Max();
  return s;
}

CounterRates RatesPerSecond(const CounterSet& d, double seconds) {
  CounterRates r;
  if (seconds <= 0) return r;
  auto rate = [seconds](uint64_t n) { return static_cast<double>(n) / seconds; };
  r.accepted = rate(d.accepted);
  r.closed = rate(d.closed);
  r.requests = rate(d.requests);
  r.bytes_in = rate(d.bytes_in);
  r.bytes_out = rate(d.bytes_out);
  for (size_t i = 0; i < kErrorKindCount; ++i) r.errors[i] = rate(d.errors[i]);
  r.total_errors = rate(d.total_errors());
  return r;
}

IntervalStats ComputeInterval(const Snapshot& prev, const Snapshot& cur) {
  const double dt =
      cur.taken_monotonic_ns > prev.taken_monotonic_ns
          ? static_cast<double>(cur.taken_monotonic_ns - prev.taken_monotonic_ns) / kNsPerSecond
          : 0;
  const bool same_run = prev.identity == cur.identity && prev.slots.size() == cur.slots.size() &&
                        !cur.totals.AnyBelow(prev.totals);
  if (same_run) return Finish(cur, &prev, dt);
  // A new run started somewhere inside the interval: its counters began at zero, and only the
  // part of the interval it has existed counts.
  IntervalStats st = Finish(cur, nullptr, std::min(dt, UptimeSeconds(cur)));
  st.restarted = true;
  return st;
}

IntervalStats ComputeSinceStart(const Snapshot& cur) {
  return Finish(cur, nullptr, UptimeSeconds(cur));
}

IntervalStats ComputeFirst(const Snapshot& cur, double max_seconds) {
  if (UptimeSeconds(cur) <= max_seconds) return ComputeSinceStart(cur);
  // Finish against `cur` itself: no deltas, no rates, no interval latency; gauges as of now.
  IntervalStats st = Finish(cur, &cur, 0);
  st.delta = CounterSet{};
  return st;
}

}  // namespace corral::stats
