// WaitList: greenlets parked until another greenlet notifies them; the building block of Event,
// Semaphore, Queue, Pool and Join.
//
// Waiters are intrusive nodes on the waiting greenlets' own stacks: waiting never allocates.
// Notification is FIFO. A waiter that was notified but is then interrupted (Kill, Timeout)
// before it runs passes its notification on to the next waiter, so a Release or Put is never
// lost with it.
//
// Destroying a list that greenlets wait on: the list tells every node it still knows, both the
// parked waiters and those notified but not yet run, that it is gone, and from then on no waiter
// touches it (nor hands a notification on). Each of those waiters, when it resumes:
//   - interrupted (Kill, Timeout, the hub's shutdown kill): the exception propagates as usual;
//   - notified before the destruction, and Wait(..., kNotificationSuffices): returns true (an
//     Event's waiter learns it was set without reading the Event again);
//   - otherwise: throws std::logic_error, because its caller (Semaphore, Queue...) would have to
//     read the state of an object that no longer exists to answer.
// The object that owned the list is gone either way: the caller must not touch it afterwards.
//
// Thread affinity: the hub thread that owns the waiting greenlets.
#pragma once

#include <cstddef>

#include "servers/coro/deadline.h"

namespace corral::coro {

class Greenlet;

class WaitList {
 public:
  // What a waiter needs to learn from a wake-up (see the file comment).
  enum class Need {
    kRecheck,               // it re-reads its object's state after any wake-up
    kNotificationSuffices,  // a notification is the whole answer (Event)
  };

  WaitList() = default;
  ~WaitList();
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;

  // Parks the current greenlet until it is notified (true) or `deadline` passes (false).
  // Throws like Hub::Park (GreenletExit, TimeoutExpired), and as the file comment says if the
  // list is destroyed meanwhile.
  bool Wait(Deadline deadline = {}, Need need = Need::kRecheck);
  // Wakes the longest waiter. False if there was none.
  bool NotifyOne();
  // Wakes every waiter; returns how many.
  size_t NotifyAll();

  // No greenlet parked (notified ones that have not run yet do not count).
  bool empty() const { return parked_.head == nullptr; }
  // Some greenlet was notified and has not run since (it is queued on the hub).
  bool notifying() const { return notified_.head != nullptr; }

 private:
  struct Node {
    Node* prev = nullptr;
    Node* next = nullptr;
    Greenlet* greenlet = nullptr;
    WaitList* list = nullptr;  // null once the list is destroyed
    bool notified = false;
  };
  // An intrusive doubly linked FIFO of nodes.
  struct Chain {
    Node* head = nullptr;
    Node* tail = nullptr;
    void PushBack(Node* n);
    void Remove(Node* n);
  };
  // Tells every node of `c` that the list is gone and empties `c`.
  static void Orphan(Chain& c);

  Chain parked_;    // waiting for a notification, longest first
  Chain notified_;  // notified, not yet resumed: they still refer to this list
};

}  // namespace corral::coro
