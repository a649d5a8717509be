#include "servers/cooperative/event.h"

#include "servers/cooperative/timeout_scope.h"
#include "servers/cooperative/where.h"

namespace corral::cooperative {

void Event::Set() {
  absl::MutexLock lock(&mu_);
  set_ = true;
  waiters_.NotifyAll();
}

void Event::Clear() {
  absl::MutexLock lock(&mu_);
  set_ = false;
}

bool Event::is_set() const {
  absl::MutexLock lock(&mu_);
  return set_;
}

absl::Status Event::Wait(base::Deadline deadline, bool even_if_cancelled) {
  if (!even_if_cancelled) {
    if (absl::Status s = CheckNotCancelled("event wait"); !s.ok()) return s;
  }
  const base::Deadline until = CapByScope(deadline);
  absl::MutexLock lock(&mu_);
  while (!set_) {
    bool notified = false;
    if (absl::Status s = waiters_.Wait(until, "event wait", &notified, even_if_cancelled);
        !s.ok()) {
      return s;
    }
    if (notified) break;
  }
  return absl::OkStatus();
}

}  // namespace corral::cooperative
