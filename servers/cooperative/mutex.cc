#include "servers/cooperative/mutex.h"

#include "servers/cooperative/timeout_scope.h"
#include "servers/cooperative/where.h"

namespace corral::cooperative {

absl::Status Mutex::Lock(base::Deadline deadline) {
  if (absl::Status s = CheckNotCancelled("mutex lock"); !s.ok()) return s;
  const base::Deadline until = CapByScope(deadline);
  absl::MutexLock lock(&mu_);
  while (held_) {
    if (absl::Status s = waiters_.Wait(until, "mutex lock"); !s.ok()) return s;
  }
  held_ = true;
  return absl::OkStatus();
}

void Mutex::Unlock() {
  absl::MutexLock lock(&mu_);
  held_ = false;
  waiters_.NotifyOne();
}

}  // namespace corral::cooperative
