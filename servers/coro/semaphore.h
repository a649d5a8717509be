// Semaphore: a counter of permits (gevent.lock.Semaphore).
//
// Acquire takes a permit, parking while there is none; Release returns one and wakes the longest
// waiter. Release never blocks and is not bounded by the initial count. Thread affinity: one hub
// thread.
#pragma once

#include <cstddef>

#include "servers/coro/deadline.h"
#include "servers/coro/wait_list.h"

namespace corral::coro {

class Semaphore {
 public:
  explicit Semaphore(size_t permits = 1) : permits_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // True once a permit is taken; false if none became free before `deadline`. Throws like
  // Hub::Park (a permit is never taken when it throws).
  bool Acquire(Deadline deadline = {});
  // Takes a permit if one is free right now; never blocks.
  bool TryAcquire();
  void Release();

  size_t available() const { return permits_; }
  bool locked() const { return permits_ == 0; }

 private:
  size_t permits_;
  WaitList waiters_;
};

}  // namespace corral::coro
