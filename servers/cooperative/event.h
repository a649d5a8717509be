// Event: a flag that tasks wait for (gevent.event.Event, threading.Event), shared by greenlets
// of any hub and plain threads of one process.
//
// Set() wakes every waiter and lets later waits pass until Clear().
//
// Thread affinity: any thread or greenlet. Destroy it only once nobody waits on it.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/deadline.h"
#include "servers/cooperative/wait_queue.h"

namespace corral::cooperative {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void Set();
  void Clear();
  bool is_set() const;

  // OK once the flag is set (also when it was cleared again before this waiter ran: the
  // notification is the answer); DEADLINE_EXCEEDED at `deadline` or at the end of the task's
  // timeout scope; CANCELLED when the greenlet was killed.
  // With `even_if_cancelled`, a cancelled greenlet still waits (see WaitQueue::Wait).
  absl::Status Wait(base::Deadline deadline, bool even_if_cancelled = false);

 private:
  mutable absl::Mutex mu_;
  bool set_ ABSL_GUARDED_BY(mu_) = false;
  WaitQueue waiters_{&mu_};
};

}  // namespace corral::cooperative
