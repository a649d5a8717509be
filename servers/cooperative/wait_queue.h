// WaitQueue: the waiters of one cooperative object (Event, Queue, Mutex), which may be parked
// greenlets of any hub and blocked plain threads at once.
//
// The object keeps its state and this queue under one absl::Mutex (`mu`, given at
// construction). A waiter enqueues itself with `mu` held, releases it while it waits and holds
// it again when Wait returns; the object then re-reads its state. A notifier (holding `mu`)
// takes waiters in FIFO order and wakes each the way it waits:
//   - a greenlet of the notifier's own hub: Hub::Unpark, no lock, no syscall;
//   - a greenlet of another hub: Hub::UnparkFromAnyThread (that hub's remote-ready list and
//     its eventfd); the waiter withdraws that wake under `mu` when it leaves, so a wake can
//     never land in a later, unrelated park;
//   - a thread: its own CondVar, signalled under `mu`.
// Waiter nodes live on the waiters' stacks: waiting never allocates.
//
// Thread affinity: any thread or greenlet, with `mu` held as annotated.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/deadline.h"

namespace corral::cooperative {

class WaitQueue {
 public:
  explicit WaitQueue(absl::Mutex* mu) : mu_(mu) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Waits until notified or `deadline` passes. OK when notified (*notified true) or woken
  // otherwise (the caller re-reads its state); DEADLINE_EXCEEDED when `deadline` passed first
  // and no notification came; CANCELLED when the waiting greenlet was killed (and at once when
  // it already had been). `action` names the call in those statuses ("queue get"). A waiter
  // that fails after it was notified passes the notification on to the next waiter.
  // With `even_if_cancelled`, a greenlet already cancelled still parks (a join: the task
  // joined may use what the caller owns); only a new kill during the wait ends it early.
  absl::Status Wait(base::Deadline deadline, const char* action, bool* notified = nullptr,
                    bool even_if_cancelled = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);
  // Wakes the longest waiter; false if there was none.
  bool NotifyOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);
  void NotifyAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);

 private:
  struct Node;
  absl::Status WaitParked(Node& node, base::Deadline deadline, const char* action,
                          bool even_if_cancelled) ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);
  absl::Status WaitBlocked(Node& node, base::Deadline deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);
  void PushBack(Node* n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);
  void Remove(Node* n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu_);

  absl::Mutex* const mu_;
  Node* head_ ABSL_GUARDED_BY(*mu_) = nullptr;
  Node* tail_ ABSL_GUARDED_BY(*mu_) = nullptr;
};

// DEADLINE_EXCEEDED for `action` ("queue get: deadline exceeded").
absl::Status DeadlineError(const char* action);

}  // namespace corral::cooperative
