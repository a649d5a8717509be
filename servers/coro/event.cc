#include "servers/coro/event.h"

namespace corral::coro {

void Event::Set() {
  set_ = true;
  waiters_.NotifyAll();
}

bool Event::Wait(Deadline deadline) {
  if (set_) return true;
  return waiters_.Wait(deadline) || set_;
}

}  // namespace corral::coro
