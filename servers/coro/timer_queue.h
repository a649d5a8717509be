// TimerQueue: the hub's timers, an indexed binary min-heap of intrusive nodes.
//
// A Timer is owned by whoever arms it (usually a stack frame of the greenlet that sleeps, or a
// Timeout object); the queue only points at it. Each node remembers its heap index, so Cancel is
// O(log n) and arming or cancelling never allocates (beyond the heap vector's growth). Timers
// with equal expiry fire in the order they were added, which keeps Sleep(d) FIFO.
//
// Thread affinity: the owning hub's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "servers/coro/deadline.h"

namespace corral::coro {

class TimerQueue {
 public:
  class Timer {
   public:
    virtual ~Timer() = default;
    bool armed() const { return index_ != kNotQueued; }
    Clock::time_point when() const { return when_; }

   protected:
    // Called by FireExpired, on the hub's stack, after the timer has been removed from the
    // queue (so it may re-arm itself). Must not block.
    virtual void Fire() = 0;

   private:
    friend class TimerQueue;
    static constexpr size_t kNotQueued = SIZE_MAX;
    Clock::time_point when_{};
    uint64_t sequence_ = 0;
    size_t index_ = kNotQueued;
  };

  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Arms `timer` to fire at `when` (re-arms it if already armed). The timer must stay alive
  // until it fires or is cancelled.
  void Add(Timer* timer, Clock::time_point when);
  // Disarms `timer`; a no-op if it is not armed.
  void Cancel(Timer* timer);

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // Expiry of the earliest timer; only meaningful if !empty().
  Clock::time_point next() const { return heap_.front()->when_; }

  // Fires, in order, every timer due at `now`. Returns how many fired.
  size_t FireExpired(Clock::time_point now);

 private:
  static bool Before(const Timer* a, const Timer* b) {
    return a->when_ < b->when_ || (a->when_ == b->when_ && a->sequence_ < b->sequence_);
  }
  void Place(size_t i, Timer* t) {
    heap_[i] = t;
    t->index_ = i;
  }
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void RemoveAt(size_t i);

  std::vector<Timer*> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace corral::coro
