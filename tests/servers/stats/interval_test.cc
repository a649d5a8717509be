#include "servers/stats/interval.h"

#include "gtest/gtest.h"

namespace corral::stats {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kStart = 1'700'000'000 * kSecond;  // server start, unix ns

// A snapshot as the reader would produce it, `at` seconds after the server started.
Snapshot At(double at, pid_t pid = 100, uint64_t generation = 1, uint64_t start = kStart) {
  Snapshot s;
  s.identity = {.server_pid = pid, .start_time_unix_ns = start, .generation = generation};
  s.taken_unix_ns = kStart + static_cast<uint64_t>(at * kSecond);
  s.taken_monotonic_ns = 5 * kSecond + static_cast<uint64_t>(at * kSecond);
  s.slots.resize(2);
  return s;
}

void SetSlot(Snapshot& s, size_t i, CounterSet c, WorkerState state) {
  s.slots[i].counters = c;
  s.slots[i].state = state;
  s.slots[i].owner_pid = state == WorkerState::kFree ? 0 : 100;
  s.totals = {};
  s.workers_by_state = {};
  for (const SlotSnapshot& slot : s.slots) {
    s.totals.Add(slot.counters);
    ++s.workers_by_state[static_cast<size_t>(slot.state)];
  }
}

CounterSet Counts(uint64_t accepted, uint64_t closed, uint64_t requests, uint64_t in, uint64_t out,
                  uint64_t timeouts = 0) {
  CounterSet c;
  c.accepted = accepted;
  c.closed = closed;
  c.requests = requests;
  c.bytes_in = in;
  c.bytes_out = out;
  c.errors[static_cast<size_t>(ErrorKind::kTimeout)] = timeouts;
  return c;
}

TEST(IntervalTest, RatesAreDeltasOverTheInterval) {
  Snapshot prev = At(10);
  SetSlot(prev, 0, Counts(10, 8, 100, 1000, 5000, 1), WorkerState::kIdle);
  SetSlot(prev, 1, Counts(5, 5, 50, 500, 2500), WorkerState::kIdle);
  Snapshot cur = At(12);  // 2 s later
  SetSlot(cur, 0, Counts(30, 20, 300, 3000, 15000, 5), WorkerState::kReading);
  SetSlot(cur, 1, Counts(5, 5, 50, 500, 2500), WorkerState::kKeepAlive);

  const IntervalStats st = ComputeInterval(prev, cur);
  EXPECT_FALSE(st.restarted);
  EXPECT_DOUBLE_EQ(st.seconds, 2.0);
  EXPECT_EQ(st.delta.requests, 200u);
  EXPECT_DOUBLE_EQ(st.rates.requests, 100.0);
  EXPECT_DOUBLE_EQ(st.rates.accepted, 10.0);
  EXPECT_DOUBLE_EQ(st.rates.closed, 6.0);
  EXPECT_DOUBLE_EQ(st.rates.bytes_in, 1000.0);
  EXPECT_DOUBLE_EQ(st.rates.bytes_out, 5000.0);
  EXPECT_DOUBLE_EQ(st.rates.errors[static_cast<size_t>(ErrorKind::kTimeout)], 2.0);
  EXPECT_DOUBLE_EQ(st.rates.total_errors, 2.0);
  ASSERT_EQ(st.slot_rates.size(), 2u);
  EXPECT_DOUBLE_EQ(st.slot_rates[0].requests, 100.0);
  EXPECT_DOUBLE_EQ(st.slot_rates[1].requests, 0.0);
  EXPECT_EQ(st.active_connections, 10u);  // 35 accepted - 25 closed
  EXPECT_EQ(st.busy_workers, 10u);        // clients served: the open connections
  EXPECT_EQ(st.idle_workers, 0u);
  EXPECT_DOUBLE_EQ(st.uptime_seconds, 12.0);
}

TEST(IntervalTest, IntervalLatencyCoversOnlyTheIntervalAndLifetimeEverything) {
  Snapshot prev = At(1);
  prev.latency.Record(1'000'000, 900);  // 900 requests at 1 ms before the interval
  Snapshot cur = At(2);
  cur.latency = prev.latency;
  cur.latency.Record(50'000'000, 100);  // 100 at 50 ms within it

  const IntervalStats st = ComputeInterval(prev, cur);
  EXPECT_EQ(st.interval_latency.count, 100u);
  EXPECT_NEAR(st.interval_latency.p50_ns, 50e6, 0.01 * 50e6);
  EXPECT_NEAR(st.interval_latency.max_ns, 50e6, 0.01 * 50e6);
  EXPECT_DOUBLE_EQ(st.interval_latency.mean_ns, 50e6);
  EXPECT_EQ(st.lifetime_latency.count, 1000u);
  EXPECT_NEAR(st.lifetime_latency.p50_ns, 1e6, 0.01 * 1e6);
  EXPECT_NEAR(st.lifetime_latency.p90_ns, 1e6, 0.01 * 1e6);
  EXPECT_NEAR(st.lifetime_latency.p99_ns, 50e6, 0.01 * 50e6);
  EXPECT_NEAR(st.lifetime_latency.p999_ns, 50e6, 0.01 * 50e6);
}

TEST(IntervalTest, NewServerRunIsAFreshBaseWithoutNegativeRates) {
  Snapshot prev = At(100);
  SetSlot(prev, 0, Counts(1000, 990, 5000, 1 << 20, 1 << 22), WorkerState::kReading);
  prev.latency.Record(1'000, 5000);
  // Restarted 1.5 s before this read (pid and start time changed); 4 s since the previous read.
  const uint64_t new_start = kStart + static_cast<uint64_t>(102.5 * kSecond);
  Snapshot cur = At(104, /*pid=*/200, /*generation=*/2, new_start);
  SetSlot(cur, 0, Counts(3, 1, 30, 300, 600), WorkerState::kIdle);
  cur.latency.Record(2'000'000, 30);

  const IntervalStats st = ComputeInterval(prev, cur);
  EXPECT_TRUE(st.restarted);
  EXPECT_DOUBLE_EQ(st.seconds, 1.5);  // only the part of the interval the new run existed
  EXPECT_EQ(st.delta.requests, 30u);
  EXPECT_DOUBLE_EQ(st.rates.requests, 20.0);
  EXPECT_DOUBLE_EQ(st.rates.bytes_out, 400.0);
  EXPECT_GE(st.rates.closed, 0.0);
  EXPECT_EQ(st.active_connections, 2u);
  EXPECT_EQ(st.interval_latency.count, 30u);
  EXPECT_NEAR(st.interval_latency.p50_ns, 2e6, 0.01 * 2e6);
  EXPECT_DOUBLE_EQ(st.uptime_seconds, 1.5);
}

TEST(IntervalTest, CountersGoingDownWithTheSameIdentityAreAReset) {
  Snapshot prev = At(10);
  SetSlot(prev, 0, Counts(10, 10, 100, 100, 100), WorkerState::kIdle);
  Snapshot cur = At(11);
  SetSlot(cur, 0, Counts(10, 10, 40, 100, 100), WorkerState::kIdle);
  const IntervalStats st = ComputeInterval(prev, cur);
  EXPECT_TRUE(st.restarted);
  EXPECT_EQ(st.delta.requests, 40u);
  EXPECT_DOUBLE_EQ(st.rates.requests, 40.0);
}

TEST(IntervalTest, GenerationChangeAloneIsARestart) {
  Snapshot prev = At(10);
  Snapshot cur = At(11, 100, /*generation=*/2);
  EXPECT_TRUE(ComputeInterval(prev, cur).restarted);
  EXPECT_FALSE(ComputeInterval(prev, At(11)).restarted);
}

TEST(IntervalTest, ZeroOrBackwardsIntervalGivesZeroRatesNotInfinity) {
  Snapshot prev = At(10);
  SetSlot(prev, 0, Counts(1, 0, 1, 1, 1), WorkerState::kIdle);
  Snapshot cur = prev;
  SetSlot(cur, 0, Counts(2, 0, 2, 2, 2), WorkerState::kIdle);
  const IntervalStats same_instant = ComputeInterval(prev, cur);
  EXPECT_EQ(same_instant.seconds, 0.0);
  EXPECT_EQ(same_instant.rates.requests, 0.0);
  EXPECT_EQ(same_instant.delta.requests, 1u);
  const IntervalStats backwards = ComputeInterval(cur, prev);  // swapped arguments
  EXPECT_EQ(backwards.rates.requests, 0.0);
}

TEST(IntervalTest, SinceStartUsesUptime) {
  Snapshot cur = At(4);
  SetSlot(cur, 0, Counts(8, 4, 40, 400, 800), WorkerState::kWriting);
  const IntervalStats st = ComputeSinceStart(cur);
  EXPECT_FALSE(st.restarted);
  EXPECT_DOUBLE_EQ(st.seconds, 4.0);
  EXPECT_DOUBLE_EQ(st.rates.requests, 10.0);
  EXPECT_EQ(st.active_connections, 4u);
  EXPECT_EQ(st.free_slots, 1u);
}

TEST(IntervalTest, FirstReadOfAnOldServerGivesNoLifetimeRates) {
  Snapshot cur = At(600);
  SetSlot(cur, 0, Counts(8, 4, 40, 400, 800), WorkerState::kWriting);
  const IntervalStats old = ComputeFirst(cur, 2.0);
  EXPECT_DOUBLE_EQ(old.seconds, 0.0);
  EXPECT_DOUBLE_EQ(old.rates.requests, 0.0);
  EXPECT_EQ(old.delta.requests, 0u);
  EXPECT_EQ(old.interval_latency.count, 0u);
  EXPECT_EQ(old.active_connections, 4u);  // gauges are of now all the same
  Snapshot young = At(1.5);
  SetSlot(young, 0, Counts(8, 4, 30, 400, 800), WorkerState::kWriting);
  EXPECT_DOUBLE_EQ(ComputeFirst(young, 2.0).rates.requests, 20.0);  // young: its life is now
}

TEST(IntervalTest, WorkersAreClientsServedAgainstTheCap) {
  Snapshot cur = At(4);
  cur.worker_cap = 3;
  // A coroutine hub: one slot serving two connections.
  SetSlot(cur, 0, Counts(2, 0, 0, 0, 0), WorkerState::kReading);
  IntervalStats st = ComputeSinceStart(cur);
  EXPECT_EQ(st.busy_workers, 2u);
  EXPECT_EQ(st.worker_cap, 3u);
  EXPECT_EQ(st.workers_left, 1u);
  // Datagrams open no connection: the busy slots count.
  SetSlot(cur, 0, Counts(0, 0, 5, 0, 0), WorkerState::kWriting);
  SetSlot(cur, 1, Counts(0, 0, 5, 0, 0), WorkerState::kIdle);
  st = ComputeSinceStart(cur);
  EXPECT_EQ(st.busy_workers, 1u);
  EXPECT_EQ(st.idle_workers, 1u);
  EXPECT_EQ(st.workers_left, 2u);
  cur.worker_cap = 0;  // unknown: nothing left to claim
  EXPECT_EQ(ComputeSinceStart(cur).workers_left, 0u);
}

TEST(IntervalTest, ActiveConnectionsNeverUnderflow) {
  CounterSet c = Counts(3, 5, 0, 0, 0);  // closed read after a racing accept
  EXPECT_EQ(c.active(), 0u);
}

}  // namespace
}  // namespace corral::stats
