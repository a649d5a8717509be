#pragma once

#include <atomic>
#include <cstdint>

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
class SlotWriter {
 public:
  SlotWriter() = default;  // detached: must not be used until assigned from ClaimSlot()
  SlotWriter(SlotLayout* slot, uint32_t index) : slot_(slot), index_(index) {}
  SlotWriter(SlotWriter&& other) noexcept : slot_(other.slot_), index_(other.index_) {
    other.slot_ = nullptr;
  }
  SlotWriter& operator=(SlotWriter&& other) noexcept;
  SlotWriter(const SlotWriter&) = delete;
  SlotWriter& operator=(const SlotWriter&) = delete;
  ~SlotWriter() { Release(); }

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

  // Gives the slot back (state kFree, owner 0). Idempotent; the writer is detached afterwards.
  void Release() noexcept;

  bool attached() const { return slot_ != nullptr; }
  uint32_t slot_index() const { return index_; }  // position in the scoreboard

 private:
  SlotLayout* slot_ = nullptr;
  uint32_t index_ = 0;
};

}  // namespace corral::stats
