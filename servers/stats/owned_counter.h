#pragma once

#include <atomic>
#include <cstdint>

namespace corral::stats {

// Counters in the scoreboard live in shared memory and are read concurrently by other processes,
// so they are std::atomic. Each slot, however, has exactly one writer: the thread that claimed it
// (see Scoreboard::ClaimSlot). A single writer needs no read-modify-write instruction: a relaxed
// load plus a relaxed store is exact and compiles to plain moves, where fetch_add would be a
// locked instruction (~20 cycles each on x86, five of them per request). Readers see every value
// whole (the atomics are lock-free and 8-byte aligned), never a torn one.
//
// Must only be called by the counter's single owner thread.
inline void OwnedAdd(std::atomic<uint64_t>& counter, uint64_t n) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// The shared-memory layout relies on these: a lock-free atomic has no hidden lock, so it is
// address-free (works across processes mapping the same file) and has the size of its value.
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t));
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

}  // namespace corral::stats
