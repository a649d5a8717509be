#include "servers/coro/event.h"

#include "servers/coro/hub.h"

namespace corral::coro {

void Event::Set() {
  set_ = true;
  waiters_.NotifyAll();
}

bool Event::Wait(Deadline deadline) {
  if (set_) {
    // Waiters notified by the Set() have not all run yet: queue behind them on the hub, as
    // gevent does, so that wake-ups keep the order of the calls to Wait. (Not on the hub's own
    // stack, which cannot yield; a set Event never blocked there.)
    if (waiters_.notifying()) {
      Hub& hub = Hub::Current();
      if (Greenlet::Current() != hub.greenlet().get()) hub.Yield();
    }
    return true;
  }
  // Once notified, the answer is "set" even if this Event is destroyed before we run.
  return waiters_.Wait(deadline, WaitList::Need::kNotificationSuffices) || set_;
}

}  // namespace corral::coro
