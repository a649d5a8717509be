#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/io_accounting.h"
#include "servers/stats/error_kind.h"
#include "servers/stats/layout.h"
#include "servers/stats/owned_counter.h"
#include "servers/stats/worker_state.h"

namespace corral::stats {

// The hot-path handle to one claimed scoreboard slot (see Scoreboard::ClaimSlot). Every call is a
// few plain loads and stores into shared memory: no lock, no syscall, no RPC.
//
// Thread affinity: all calls, including destruction, from the one thread that claimed the slot
// (a coroutine hub's greenlets all run on the hub's thread, so they may share the hub's writer).
// Move-only. Destruction or Release() marks the slot free for the next owner, which keeps adding
// to the same cumulative counters. A forked child that _exit()s without releasing is cleaned up
// by its parent with Scoreboard::ReclaimSlotsOf(pid) after waitpid().
//
// It is also the accounting hook a model hands to each stream and datagram sender it makes
// (base::IoAccounting): their calls set the reading/writing state and count bytes, timeouts and
// resets here. A protocol counts what only it knows (requests, protocol errors) through
// SlotOf(stream.accounting()).
class SlotWriter final : public base::IoAccounting {
 public:
  SlotWriter() = default;  // detached: must not be used until assigned from ClaimSlot()
  SlotWriter(SlotLayout* slot, uint32_t index) : slot_(slot), index_(index) {}
  SlotWriter(SlotWriter&& other) noexcept : slot_(other.slot_), index_(other.index_) {
    other.slot_ = nullptr;
  }
  SlotWriter& operator=(SlotWriter&& other) noexcept;
  SlotWriter(const SlotWriter&) = delete;
  SlotWriter& operator=(const SlotWriter&) = delete;
  ~SlotWriter() override { Release(); }

  void OnAccept() noexcept { OwnedAdd(slot_->counters.accepted, 1); }
  void OnClose() noexcept { OwnedAdd(slot_->counters.closed, 1); }
  // One request answered, `latency_ns` from its first byte read to its last byte written.
  void OnRequest(uint64_t latency_ns) noexcept {
    OwnedAdd(slot_->counters.requests, 1);
    slot_->latency.Record(latency_ns);
  }
  void AddBytesIn(uint64_t bytes) noexcept { OwnedAdd(slot_->counters.bytes_in, bytes); }
  void AddBytesOut(uint64_t bytes) noexcept { OwnedAdd(slot_->counters.bytes_out, bytes); }
  void OnError(ErrorKind kind) noexcept {
    OwnedAdd(slot_->counters.errors[static_cast<uint32_t>(kind)], 1);
  }
  // kFree is reserved for Release(); passing it is a no-op.
  void SetState(WorkerState state) noexcept {
    if (state == WorkerState::kFree) return;
    slot_->state.store(static_cast<uint32_t>(state), std::memory_order_relaxed);
  }

  // base::IoAccounting: a stream's or a sender's calls. A failed call counts kTimeout when it
  // timed out (DEADLINE_EXCEEDED) and kReset when the connection broke (UNAVAILABLE: reset,
  // broken pipe; see base::SyscallError); other failures count nothing here.
  void OnReading() override { SetState(WorkerState::kReading); }
  void OnRead(const absl::StatusOr<size_t>& result) override;
  void OnWriting() override { SetState(WorkerState::kWriting); }
  void OnWritten(const absl::Status& status, size_t bytes) override;

  // Gives the slot back (state kFree, owner 0). Idempotent; the writer is detached afterwards.
  void Release() noexcept;

  bool attached() const { return slot_ != nullptr; }
  uint32_t slot_index() const { return index_; }  // position in the scoreboard

 private:
  SlotLayout* slot_ = nullptr;
  uint32_t index_ = 0;
};

// The slot behind a stream's or a sender's accounting hook (`stream.accounting()`), or null when
// the server keeps no stats or the hook is not a slot.
inline SlotWriter* SlotOf(base::IoAccounting* accounting) {
  return dynamic_cast<SlotWriter*>(accounting);
}

}  // namespace corral::stats
