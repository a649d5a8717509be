// Mutex: mutual exclusion between tasks that may wait for it cooperatively: a greenlet waiting
// for it parks (its hub serves others), a thread blocks. Not reentrant; any task may unlock
// (as a semaphore of one), though the lock guard of corral/cooperative.hpp unlocks where it
// locked.
//
// Thread affinity: any thread or greenlet. Destroy it unlocked, once nobody waits on it.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/deadline.h"
#include "servers/cooperative/wait_queue.h"

namespace corral::cooperative {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // OK once held; DEADLINE_EXCEEDED or CANCELLED (not held) as Event::Wait says.
  absl::Status Lock(base::Deadline deadline);
  void Unlock();

 private:
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  WaitQueue waiters_{&mu_};
};

}  // namespace corral::cooperative
