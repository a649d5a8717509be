// WaitList: greenlets parked until another greenlet notifies them; the building block of Event,
// Semaphore, Queue, Pool and Join.
//
// Waiters are intrusive nodes on the waiting greenlets' own stacks: waiting never allocates.
// Notification is FIFO. A waiter that was notified but is then interrupted (Kill, Timeout)
// before it runs passes its notification on to the next waiter, so a Release or Put is never
// lost with it.
//
// Thread affinity: the hub thread that owns the waiting greenlets.
#ifndef CORRAL_SERVERS_CORO_WAIT_LIST_H_
#define CORRAL_SERVERS_CORO_WAIT_LIST_H_

#include <cstddef>

#include "servers/coro/deadline.h"

namespace corral::coro {

class Greenlet;

class WaitList {
 public:
  WaitList() = default;
  // Waiters still parked stay parked (until killed or timed out) but no longer refer to the list,
  // so destroying an Event or Queue that greenlets wait on is not a use-after-free.
  ~WaitList();
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;

  // Parks the current greenlet until it is notified (true) or `deadline` passes (false).
  // Throws like Hub::Park (GreenletExit, TimeoutExpired).
  bool Wait(Deadline deadline = {});
  // Wakes the longest waiter. False if there was none.
  bool NotifyOne();
  // Wakes every waiter; returns how many.
  size_t NotifyAll();

  bool empty() const { return head_ == nullptr; }

 private:
  struct Node {
    Node* prev = nullptr;
    Node* next = nullptr;
    Greenlet* greenlet = nullptr;
    bool linked = false;
    bool notified = false;
  };
  void Unlink(Node* n);

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

}  // namespace corral::coro

#endif  // CORRAL_SERVERS_CORO_WAIT_LIST_H_
