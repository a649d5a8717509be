#include "servers/stats/snapshot.h"

namespace corral::stats {
namespace {

uint64_t FlooredMinus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

uint64_t CounterSet::total_errors() const {
  uint64_t n = 0;
  for (uint64_t e : errors) n += e;
  return n;
}

void CounterSet::Add(const CounterSet& other) {
  accepted += other.accepted;
  closed += other.closed;
  requests += other.requests;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  for (size_t i = 0; i < errors.size(); ++i) errors[i] += other.errors[i];
}

CounterSet CounterSet::Minus(const CounterSet& base) const {
  CounterSet d;
  d.accepted = FlooredMinus(accepted, base.accepted);
  d.closed = FlooredMinus(closed, base.closed);
  d.requests = FlooredMinus(requests, base.requests);
  d.bytes_in = FlooredMinus(bytes_in, base.bytes_in);
  d.bytes_out = FlooredMinus(bytes_out, base.bytes_out);
  for (size_t i = 0; i < errors.size(); ++i) d.errors[i] = FlooredMinus(errors[i], base.errors[i]);
  return d;
}

bool CounterSet::AnyBelow(const CounterSet& base) const {
  if (accepted < base.accepted || closed < base.closed || requests < base.requests ||
      bytes_in < base.bytes_in || bytes_out < base.bytes_out) {
    return true;
  }
  for (size_t i = 0; i < errors.size(); ++i) {
    if (errors[i] < base.errors[i]) return true;
  }
  return false;
}

uint32_t Snapshot::busy_workers() const {
  uint32_t n = 0;
  for (size_t s = 0; s < kWorkerStateCount; ++s) {
    if (IsBusy(static_cast<WorkerState>(s))) n += workers_by_state[s];
  }
  return n;
}

uint32_t Snapshot::idle_workers() const {
  return workers_by_state[static_cast<size_t>(WorkerState::kIdle)];
}

}  // namespace corral::stats
