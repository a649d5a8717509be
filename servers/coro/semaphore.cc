#include "servers/coro/semaphore.h"

namespace corral::coro {

bool Semaphore::Acquire(Deadline deadline) {
  // FIFO: a newcomer does not overtake greenlets already waiting.
  if (permits_ > 0 && waiters_.empty()) {
    --permits_;
    return true;
  }
  for (;;) {
    if (!waiters_.Wait(deadline)) {
      // Timed out; but a permit released meanwhile would be stranded if nobody is told.
      if (permits_ > 0) waiters_.NotifyOne();
      return false;
    }
    if (permits_ > 0) {
      --permits_;
      if (permits_ > 0) waiters_.NotifyOne();
      return true;
    }
  }
}

bool Semaphore::TryAcquire() {
  if (permits_ == 0 || !waiters_.empty()) return false;
  --permits_;
  return true;
}

void Semaphore::Release() {
  ++permits_;
  waiters_.NotifyOne();
}

}  // namespace corral::coro
