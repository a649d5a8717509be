#include "servers/coro/wait_list.h"

#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"

namespace corral::coro {

WaitList::~WaitList() {
  while (head_ != nullptr) Unlink(head_);
}

bool WaitList::Wait(Deadline deadline) {
  Node node;
  node.greenlet = Greenlet::Current();
  node.prev = tail_;
  (tail_ != nullptr ? tail_->next : head_) = &node;
  tail_ = &node;
  node.linked = true;
  struct Leave {
    WaitList* list;
    Node& node;
    bool normal = false;
    ~Leave() {
      if (node.linked) list->Unlink(&node);
      if (!normal && node.notified) list->NotifyOne();  // hand the wake-up on
    }
  } leave{this, node};
  Hub::Current().SleepUntil(deadline);
  leave.normal = true;
  return node.notified;
}

bool WaitList::NotifyOne() {
  Node* n = head_;
  if (n == nullptr) return false;
  Unlink(n);
  n->notified = true;
  Hub::Current().Unpark(n->greenlet);
  return true;
}

size_t WaitList::NotifyAll() {
  size_t woken = 0;
  while (NotifyOne()) ++woken;
  return woken;
}

void WaitList::Unlink(Node* n) {
  (n->prev != nullptr ? n->prev->next : head_) = n->next;
  (n->next != nullptr ? n->next->prev : tail_) = n->prev;
  n->prev = n->next = nullptr;
  n->linked = false;
}

}  // namespace corral::coro
