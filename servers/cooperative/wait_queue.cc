#include "servers/cooperative/wait_queue.h"

#include <string>

#include "absl/time/time.h"
#include "servers/cooperative/where.h"
#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"
#include "servers/coro/nothrow.h"

namespace corral::cooperative {

struct WaitQueue::Node {
  Node* prev = nullptr;
  Node* next = nullptr;
  bool linked = false;
  bool notified = false;
  bool remote = false;  // woken through its hub's remote-ready list
  // A parked greenlet: its hub and itself. A blocked thread: hub null, woken through cv.
  coro::Hub* hub = nullptr;
  coro::Greenlet* greenlet = nullptr;
  absl::CondVar cv;
};

absl::Status DeadlineError(const char* action) {
  return absl::DeadlineExceededError(std::string(action) + ": deadline exceeded");
}

absl::Status WaitQueue::Wait(base::Deadline deadline, const char* action, bool* notified,
                             bool even_if_cancelled) {
  Node node;
  node.hub = CurrentHub();
  absl::Status s;
  if (node.hub != nullptr && coro::nothrow::Cancelled() && !even_if_cancelled) {
    s = coro::nothrow::CancelledError(action, -1);
  } else if (deadline != base::Deadline::max() && base::Clock::now() >= deadline) {
    s = DeadlineError(action);
  } else if (node.hub != nullptr) {
    s = WaitParked(node, deadline, action, even_if_cancelled);
  } else {
    s = WaitBlocked(node, deadline);
    if (!s.ok()) s = DeadlineError(action);
  }
  if (notified != nullptr) *notified = node.notified;
  return s;
}

absl::Status WaitQueue::WaitParked(Node& node, base::Deadline deadline, const char* action,
                                   bool even_if_cancelled) {
  coro::Hub* hub = node.hub;
  node.greenlet = coro::Greenlet::Current();
  PushBack(&node);
  hub->AddRemoteWaiter();
  mu_->Unlock();
  // Nothing can switch between the Unlock and the park: a notifier on this hub runs only once
  // this greenlet parked, and a remote notifier's wake is acted on only by this hub's loop.
  auto park = [&] {
    hub->SleepUntil(coro::Deadline(deadline));
    return absl::OkStatus();
  };
  absl::Status s;
  if (!even_if_cancelled) {
    s = coro::nothrow::Call(action, -1, park);
  } else {
    try {  // nothrow::Call would refuse to park a cancelled greenlet
      s = park();
    } catch (const coro::GreenletExit&) {
      coro::Hub::MarkCancelled(node.greenlet);
      s = coro::nothrow::CancelledError(action, -1);
    } catch (const coro::TimeoutExpired&) {
      s = coro::nothrow::TimeoutError(action, -1);
    }
  }
  mu_->Lock();
  if (node.linked) Remove(&node);
  // Under mu_, so no notifier can queue a wake for this node after this.
  if (node.remote) hub->CancelRemoteUnpark(node.greenlet);
  hub->RemoveRemoteWaiter();
  if (!s.ok()) {
    if (node.notified) NotifyOne();  // hand the wake-up on rather than lose it
    return s;
  }
  if (!node.notified && deadline != base::Deadline::max() && base::Clock::now() >= deadline) {
    return DeadlineError(action);
  }
  return absl::OkStatus();
}

absl::Status WaitQueue::WaitBlocked(Node& node, base::Deadline deadline) {
  PushBack(&node);
  while (!node.notified) {
    if (deadline == base::Deadline::max()) {
      node.cv.Wait(mu_);
      continue;
    }
    const auto left = deadline - base::Clock::now();
    if (left <= base::Clock::duration::zero()) break;
    node.cv.WaitWithTimeout(mu_, absl::FromChrono(left));
  }
  if (node.linked) Remove(&node);
  return node.notified ? absl::OkStatus() : absl::DeadlineExceededError("deadline exceeded");
}

bool WaitQueue::NotifyOne() {
  Node* n = head_;
  if (n == nullptr) return false;
  Remove(n);
  n->notified = true;
  if (n->hub == nullptr) {
    n->cv.Signal();
  } else if (coro::Hub::IfExists() == n->hub) {
    n->hub->Unpark(n->greenlet);
  } else {
    n->remote = true;
    n->hub->UnparkFromAnyThread(n->greenlet);
  }
  return true;
}

void WaitQueue::NotifyAll() {
  while (NotifyOne()) {
  }
}

void WaitQueue::PushBack(Node* n) {
  n->prev = tail_;
  n->next = nullptr;
  (tail_ != nullptr ? tail_->next : head_) = n;
  tail_ = n;
  n->linked = true;
}

void WaitQueue::Remove(Node* n) {
  (n->prev != nullptr ? n->prev->next : head_) = n->next;
  (n->next != nullptr ? n->next->prev : tail_) = n->prev;
  n->prev = n->next = nullptr;
  n->linked = false;
}

}  // namespace corral::cooperative
