#include "servers/coro/wait_list.h"

#include <stdexcept>

#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"

namespace corral::coro {

WaitList::~WaitList() {
  Orphan(parked_);
  Orphan(notified_);
}

void WaitList::Orphan(Chain& c) {
  while (c.head != nullptr) {
    Node* n = c.head;
    c.Remove(n);
    n->list = nullptr;
  }
}

bool WaitList::Wait(Deadline deadline, Need need) {
  Node node;
  node.greenlet = Greenlet::Current();
  node.list = this;
  parked_.PushBack(&node);
  // Runs however the wait ends. Reads `node.list`, never `this`: the list may be gone.
  struct Leave {
    Node& node;
    bool normal = false;
    ~Leave() {
      WaitList* list = node.list;
      if (list == nullptr) return;
      (node.notified ? list->notified_ : list->parked_).Remove(&node);
      if (!normal && node.notified) list->NotifyOne();  // hand the wake-up on
    }
  } leave{node};
  Hub::Current().SleepUntil(deadline);
  leave.normal = true;
  if (node.list == nullptr && !(node.notified && need == Need::kNotificationSuffices)) {
    throw std::logic_error(
        "corral::coro: wait: the Event, Semaphore, Queue or Pool waited on was destroyed");
  }
  return node.notified;
}

bool WaitList::NotifyOne() {
  Node* n = parked_.head;
  if (n == nullptr) return false;
  parked_.Remove(n);
  notified_.PushBack(n);
  n->notified = true;
  Hub::Current().Unpark(n->greenlet);
  return true;
}

size_t WaitList::NotifyAll() {
  size_t woken = 0;
  while (NotifyOne()) ++woken;
  return woken;
}

void WaitList::Chain::PushBack(Node* n) {
  n->prev = tail;
  n->next = nullptr;
  (tail != nullptr ? tail->next : head) = n;
  tail = n;
}

void WaitList::Chain::Remove(Node* n) {
  (n->prev != nullptr ? n->prev->next : head) = n->next;
  (n->next != nullptr ? n->next->prev : tail) = n->prev;
  n->prev = n->next = nullptr;
}

}  // namespace corral::coro
