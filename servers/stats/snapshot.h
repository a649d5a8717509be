#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "servers/stats/error_kind.h"
#include "servers/stats/histogram.h"
#include "servers/stats/worker_state.h"

namespace corral::stats {

// Plain-value copies of a scoreboard (no shared memory, no atomics): what ScoreboardReader::Read
// returns and what the agent keeps between reads. Owned by the caller; copyable.

// Which server instance wrote a scoreboard. Two snapshots with different identities are from
// different runs: their counters cannot be subtracted.
struct ScoreboardIdentity {
  pid_t server_pid = 0;
  uint64_t start_time_unix_ns = 0;
  uint64_t generation = 0;

  friend bool operator==(const ScoreboardIdentity&, const ScoreboardIdentity&) = default;
};

// Cumulative counts since the server started. Used for one slot, for the whole server, and for
// the difference between two reads.
struct CounterSet {
  uint64_t accepted = 0;
  uint64_t closed = 0;
  uint64_t requests = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::array<uint64_t, kErrorKindCount> errors{};  // indexed by ErrorKind

  // accepted - closed, floored at 0 (the two are read at slightly different instants).
  uint64_t active() const { return accepted > closed ? accepted - closed : 0; }
  uint64_t error(ErrorKind k) const { return errors[static_cast<size_t>(k)]; }
  uint64_t total_errors() const;

  void Add(const CounterSet& other);
  // this - base per field, floored at 0.
  CounterSet Minus(const CounterSet& base) const;
  // True if any field is smaller than in `base` (the source was reset).
  bool AnyBelow(const CounterSet& base) const;

  friend bool operator==(const CounterSet&, const CounterSet&) = default;
};

struct SlotSnapshot {
  uint32_t index = 0;
  pid_t owner_pid = 0;  // 0 when free
  pid_t owner_tid = 0;
  WorkerState state = WorkerState::kFree;
  uint64_t claims = 0;  // owners so far
  CounterSet counters;
};

struct Snapshot {
  ScoreboardIdentity identity;
  std::string protocol;
  std::string model;
  uint64_t taken_unix_ns = 0;       // CLOCK_REALTIME when read
  uint64_t taken_monotonic_ns = 0;  // CLOCK_MONOTONIC when read: use this for intervals

  ListenerState listener_state = ListenerState::kStarting;
  uint64_t listener_refused_at_cap = 0;  // refusals by acceptors that own no slot
  uint64_t listener_accept_errors = 0;
  uint64_t listener_refused_per_client = 0;  // refusals at --max-connections-per-client
  uint64_t listener_stalls = 0;              // coroutine: hubs held past the stall bound
  uint64_t kernel_drops = 0;                 // UDP: datagrams the kernel dropped (seen - at start)
  uint32_t worker_cap = 0;                   // the spec's max_workers; 0: unknown

  std::vector<SlotSnapshot> slots;  // every slot, by index
  // Sum over slots; errors[kRefusedAtCap] also includes listener_refused_at_cap,
  // errors[kRefusedPerClient] is listener_refused_per_client and errors[kDropped] kernel_drops.
  CounterSet totals;
  HistogramSnapshot latency;  // all slots merged, since start, nanoseconds
  // Per-slot latency, parallel to `slots`; filled only when ReadOptions::per_slot_latency.
  std::vector<HistogramSnapshot> slot_latency;
  std::array<uint32_t, kWorkerStateCount> workers_by_state{};  // indexed by WorkerState

  uint32_t busy_workers() const;  // reading + writing + keep-alive
  uint32_t idle_workers() const;  // owned and idle
  uint32_t free_slots() const { return workers_by_state[0]; }
};

}  // namespace corral::stats
