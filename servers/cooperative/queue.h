// Queue: a FIFO of pointers between tasks (greenlets of any hub, plain threads), bounded or
// not, closable (gevent.queue.Queue, with Go's close).
//
// Get waits while the queue is empty, Put while it is full. Close wakes every waiter: later
// Puts fail, Gets take what is left and then fail. The queue never owns the items: whoever
// closes it and drains it frees what is left.
//
// Thread affinity: any thread or greenlet. Destroy it only once nobody waits on it.
#pragma once

#include <cstddef>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/deadline.h"
#include "servers/cooperative/wait_queue.h"

namespace corral::cooperative {

class Queue {
 public:
  // At most `capacity` items; 0 is unbounded.
  explicit Queue(size_t capacity) : capacity_(capacity) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // OK; FAILED_PRECONDITION when the queue is closed (before or while waiting);
  // DEADLINE_EXCEEDED (the item was not added) or CANCELLED as Event::Wait says.
  absl::Status Put(void* item, base::Deadline deadline);
  // The oldest item; FAILED_PRECONDITION when the queue is closed and empty; otherwise as Put.
  absl::StatusOr<void*> Get(base::Deadline deadline);
  void Close();

  size_t size() const;

 private:
  bool Full() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return capacity_ != 0 && items_.size() >= capacity_;
  }

  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<void*> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  WaitQueue getters_{&mu_};
  WaitQueue putters_{&mu_};
};

}  // namespace corral::cooperative
