// Timeout: a scoped limit on how long the current greenlet may block (gevent.Timeout).
//
//   try {
//     Timeout t(2s);
//     auto n = Read(fd, buf, sizeof buf);   // any blocking calls
//   } catch (const TimeoutExpired& e) { ... }
//
// From construction, once the deadline has passed, the next blocking point of the greenlet that
// created the Timeout (Sleep, Join, a socket call, a sync primitive) throws TimeoutExpired,
// unless the Timeout has been destroyed or cancelled first. Code that never blocks is never
// interrupted. Nested timeouts each raise their own exception; TimeoutExpired::From tells which
// one fired, and WithTimeout wraps the common "give up on this block" pattern.
//
// Socket calls also take a Deadline, reported as a DeadlineExceeded status instead: use that for
// expected per-call limits and Timeout for a limit on a whole stretch of code.
//
// Thread affinity: create and destroy on the greenlet it limits.
#pragma once

#include <exception>
#include <utility>

#include "servers/coro/deadline.h"
#include "servers/coro/timer_queue.h"

namespace corral::coro {

class Greenlet;
class Hub;
class Timeout;

class TimeoutExpired : public std::exception {
 public:
  explicit TimeoutExpired(const Timeout* source) : source_(source) {}
  const char* what() const noexcept override { return "corral::coro: timeout expired"; }
  // Whether `t` is the Timeout that raised this.
  bool From(const Timeout& t) const { return source_ == &t; }

 private:
  const Timeout* source_;  // identity only; may be gone by the time this is caught
};

class Timeout final : private TimerQueue::Timer {
 public:
  // Starts counting now. Deadline::Never() makes an inert Timeout.
  explicit Timeout(Deadline deadline);
  ~Timeout() override;
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;

  // Stops the countdown; an expiry not yet raised is withdrawn.
  void Cancel();
  // Whether the deadline passed while it was armed.
  bool expired() const { return fired_; }

 private:
  void Fire() override;

  Hub* hub_;
  Greenlet* target_;
  bool fired_ = false;
  std::exception_ptr raised_;
};

// Runs fn() under Timeout(deadline). True if fn completed, false if this timeout interrupted it.
// Other exceptions (including other timeouts' TimeoutExpired) propagate.
template <typename F>
bool WithTimeout(Deadline deadline, F&& fn) {
  Timeout timeout(deadline);
  try {
    std::forward<F>(fn)();
  } catch (const TimeoutExpired& e) {
    if (!e.From(timeout)) throw;
    return false;
  }
  return true;
}

}  // namespace corral::coro
