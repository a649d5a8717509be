// Event: a flag greenlets can wait for (gevent.event.Event).
//
// Set() wakes every waiter and lets later Wait()s pass until Clear(). Thread affinity: one hub
// thread.
#pragma once

#include "servers/coro/deadline.h"
#include "servers/coro/wait_list.h"

namespace corral::coro {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void Set();
  void Clear() { set_ = false; }
  bool is_set() const { return set_; }

  // Parks until the flag is set or `deadline` passes. Returns true if it was set (also when it
  // was cleared again, or the Event destroyed, before this waiter ran), false on deadline.
  // Throws like Hub::Park. On a set Event whose earlier waiters have not all run yet, it yields
  // once so that it returns after them: gevent's order, but where gevent needs no loop turn for
  // it, here other ready greenlets run in that turn too (`deadline` does not shorten it).
  bool Wait(Deadline deadline = {});

 private:
  bool set_ = false;
  WaitList waiters_;
};

}  // namespace corral::coro
