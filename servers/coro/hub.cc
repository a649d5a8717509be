#include "servers/coro/hub.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <string>
#include <utility>

#include "servers/coro/stack_pool.h"

namespace corral::coro {
namespace {

thread_local Hub* current_hub = nullptr;

// The hub's own stack runs timer and remote callbacks: give it some room.
constexpr size_t kHubStackSize = 256 * 1024;

// Wakes a parked greenlet at its deadline. Lives on the sleeping greenlet's stack.
class WakeTimer final : public TimerQueue::Timer {
 public:
  WakeTimer(Hub* hub, Greenlet* g) : hub_(hub), g_(g) {}
  bool fired() const { return fired_; }

 private:
  // Counts only if it is what woke the greenlet: readiness seen in the same loop iteration wins.
  void Fire() override { fired_ = hub_->Unpark(g_); }
  Hub* hub_;
  Greenlet* g_;
  bool fired_ = false;
};

void Report(const char* where) {
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corral::coro: exception escaped %s: %s\n", where, e.what());
  } catch (...) {
    std::fprintf(stderr, "corral::coro: unknown exception escaped %s\n", where);
  }
}

}  // namespace

Hub& Hub::Current() {
  if (current_hub != nullptr) return *current_hub;
  return CreateForThisThread();
}

Hub* Hub::IfExists() { return current_hub; }

Hub& Hub::CreateForThisThread() {
  Greenlet::Current();  // the greenlet runtime's thread state must outlive the hub
  thread_local std::unique_ptr<Hub> owner;
  owner.reset(new Hub());
  current_hub = owner.get();
  return *owner;
}

Hub::Hub() {
  greenlet_ = Greenlet::Create(
      [this](std::any) -> std::any {
        Loop();
        return {};
      },
      nullptr, std::max(kHubStackSize, StackPool::DefaultStackSize()));
}

Hub::~Hub() {
  // Forget scheduled resumptions: every greenlet still alive here is killed explicitly below.
  for (Greenlet* g : ready_) g->scheduled_ = false;
  for (size_t i = running_pos_; i < running_.size(); ++i) {
    if (running_[i] != nullptr) running_[i]->scheduled_ = false;
  }
  ready_.clear();
  running_.clear();
  // Kill what still runs here, so that its destructors run while the hub can still serve them.
  while (residents_ != nullptr) {
    Resident* r = residents_;
    r->KillForShutdown();
    if (residents_ == r) Disown(r);  // it refused; don't loop forever
  }
  zombies_.clear();
  if (greenlet_->active()) {
    (void)greenlet_->SetParent(Greenlet::CurrentShared());
    try {
      greenlet_->Throw();
    } catch (...) {
    }
  }
  zombies_.clear();
  current_hub = nullptr;
}

// The loop: clean up, poll I/O when idle or every kResumesPerPoll resumptions, fire timers,
// honour Stop(), resume the ready greenlets.
void Hub::Loop() {
  auto wake = [this](Greenlet* g) { Unpark(g); };
  for (;;) {
    zombies_.clear();
    if (ready_.empty() || resumes_since_poll_ >= kResumesPerPoll) {
      resumes_since_poll_ = 0;
      if (poller_.Poll(ready_.empty() ? PollTimeoutMs() : 0, wake)) RunRemoteCallbacks();
    }
    if (!timers_.empty()) timers_.FireExpired(Clock::now());
    if (run_waiter_ != nullptr && stop_requested_.exchange(false, std::memory_order_acq_rel)) {
      RunRemoteCallbacks();  // work queued before the Stop() happens before Run() returns
      Unpark(std::exchange(run_waiter_, nullptr));
    }
    RunReady();
  }
}

int Hub::PollTimeoutMs() {
  if (run_waiter_ != nullptr && stop_requested_.load(std::memory_order_acquire)) return 0;
  if (!timers_.empty()) {
    const auto left = timers_.next() - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    // Round up: waking early would only poll again; a 0 ms timeout would spin.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<decltype(ms)>(ms, INT_MAX));
  }
  if (run_waiter_ != nullptr || poller_.waiters() > 0 || remote_waiters_ > 0) return -1;
  // Nobody could ever be woken. Tell the root greenlet instead of blocking forever.
  Greenlet* root = greenlet_->parent();
  root->pending_ = std::make_exception_ptr(LoopExit());
  if (root->parked_) {
    Unpark(root);
  } else if (!root->scheduled_) {
    Schedule(root);
  }
  return 0;
}

void Hub::RunReady() {
  running_.swap(ready_);
  resumes_since_poll_ += running_.size();
  // By index, re-reading size(): ~Hub may clear the batch while this frame is suspended.
  for (running_pos_ = 0; running_pos_ < running_.size(); ++running_pos_) {
    Greenlet* g = running_[running_pos_];
    if (g == nullptr || g->dead()) continue;  // null: unscheduled
    g->scheduled_ = false;
    resuming_ = g;
    const uint64_t activity = activity_.load(std::memory_order_relaxed);
    activity_.store(activity + 1, std::memory_order_relaxed);
    struct Back {  // however the switch ends, the loop runs again
      std::atomic<uint64_t>& a;
      uint64_t v;
      ~Back() { a.store(v + 2, std::memory_order_relaxed); }
    } back{activity_, activity};
    try {
      if (g->pending_ && g->started()) {
        // Thrown where it is suspended, which may be a direct Switch rather than Park.
        g->Throw(std::exchange(g->pending_, nullptr));
      } else {
        g->Switch();
      }
      resuming_ = nullptr;
    } catch (const GreenletExit&) {
      throw;  // aimed at the hub itself: ~Hub is unwinding it
    } catch (...) {
      resuming_ = nullptr;
      Report("a greenlet into the hub");
    }
  }
  running_.clear();
}

void Hub::RunRemoteCallbacks() {
  std::vector<absl::AnyInvocable<void()>> batch;
  {
    absl::MutexLock lock(&remote_mu_);
    batch.swap(remote_);
    remote_batch_.swap(remote_ready_);
  }
  for (Greenlet* g : remote_batch_) Unpark(g);
  remote_batch_.clear();
  for (auto& fn : batch) {
    try {
      fn();
    } catch (...) {
      Report("a RunInLoop callback");
    }
  }
}

void Hub::CheckNotHub(Greenlet* self) const {
  if (self == greenlet_.get()) {
    throw std::logic_error("corral::coro: blocking call on the hub's own stack");
  }
}

void Hub::Suspend(Greenlet* self) {
  try {
    greenlet_->Switch();
  } catch (...) {
    // Whoever threw, this wait is over: a resumption still queued for it would later land in
    // whatever the greenlet does next.
    self->parked_ = false;
    Unschedule(self);
    throw;
  }
  self->parked_ = false;
  if (resuming_ != self) [[unlikely]] {
    Unschedule(self);
    if (self->pending_)
      std::rethrow_exception(std::exchange(self->pending_, nullptr));  // Kill wins
    throw InvalidSwitch();
  }
  if (self->pending_) std::rethrow_exception(std::exchange(self->pending_, nullptr));
}

void Hub::Schedule(Greenlet* g) {
  g->scheduled_ = true;
  ready_.push_back(g);
}

void Hub::Unschedule(Greenlet* g) {
  if (!g->scheduled_) return;
  g->scheduled_ = false;
  ready_.erase(std::remove(ready_.begin(), ready_.end(), g), ready_.end());
  for (size_t i = running_pos_; i < running_.size(); ++i) {
    if (running_[i] == g) running_[i] = nullptr;
  }
}

void Hub::Park() {
  Greenlet* self = Greenlet::Current();
  CheckNotHub(self);
  self->parked_ = true;
  Suspend(self);
}

bool Hub::Unpark(Greenlet* g) {
  if (!g->parked_) return false;
  g->parked_ = false;
  Schedule(g);
  return true;
}

void Hub::Start(Greenlet* g) {
  g->parked_ = true;
  Unpark(g);
}

void Hub::Yield() {
  Greenlet* self = Greenlet::Current();
  CheckNotHub(self);
  Schedule(self);
  Suspend(self);
}

void Hub::SleepUntil(Deadline deadline) {
  Greenlet* self = Greenlet::Current();
  CheckNotHub(self);
  WakeTimer timer(this, self);
  if (!deadline.is_never()) timers_.Add(&timer, deadline.when());
  struct Cancel {
    TimerQueue& q;
    WakeTimer& t;
    ~Cancel() { q.Cancel(&t); }
  } cancel{timers_, timer};
  Park();
}

void Hub::Interrupt(Greenlet* g, std::exception_ptr error) {
  g->pending_ = std::move(error);
  if (Unpark(g) || g->scheduled_ || !g->active() || g == greenlet_.get()) return;
  if (g != Greenlet::Current()) Schedule(g);  // suspended in a direct Switch: throw it there
}

void Hub::Cancel(Greenlet* g) {
  g->cancelled_ = true;
  Interrupt(g, std::make_exception_ptr(GreenletExit()));
}

bool Hub::Cancelled() { return Greenlet::Current()->cancelled_; }

void Hub::MarkCancelled(Greenlet* g) { g->cancelled_ = true; }

void Hub::Withdraw(Greenlet* g, const std::exception_ptr& error) {
  if (g->pending_ == error) g->pending_ = nullptr;
}

void Hub::CheckInterrupt() {
  Greenlet* self = Greenlet::Current();
  if (self->pending_) std::rethrow_exception(std::exchange(self->pending_, nullptr));
}

absl::Status Hub::WaitFd(int fd, Poller::Interest interest, Deadline deadline) {
  return WaitFdFor(fd, interest, deadline, FdKnown::kMaybeReady);
}

absl::Status Hub::WaitFdAfterEagain(int fd, Poller::Interest interest, Deadline deadline) {
  return WaitFdFor(fd, interest, deadline, FdKnown::kNotReady);
}

absl::Status Hub::WaitFdFor(int fd, Poller::Interest interest, Deadline deadline, FdKnown known) {
  Greenlet* self = Greenlet::Current();
  CheckNotHub(self);
  const char* what = interest == Poller::Interest::kRead ? "readable" : "writable";
  if (deadline.Expired()) {
    return absl::DeadlineExceededError("wait for fd " + std::to_string(fd) + " to become " + what +
                                       ": deadline exceeded");
  }
  if (known == FdKnown::kMaybeReady && poller_.ReadyNow(fd, interest)) return absl::OkStatus();
  if (absl::Status s = poller_.Arm(fd, interest, self); !s.ok()) return s;
  WakeTimer timer(this, self);
  if (!deadline.is_never()) timers_.Add(&timer, deadline.when());
  struct Cleanup {
    Hub* hub;
    int fd;
    Poller::Interest interest;
    Greenlet* self;
    WakeTimer& timer;
    ~Cleanup() {
      hub->poller_.Disarm(fd, interest, self);
      hub->timers_.Cancel(&timer);
    }
  } cleanup{this, fd, interest, self, timer};
  Park();
  if (timer.fired()) {
    return absl::DeadlineExceededError("wait for fd " + std::to_string(fd) + " to become " + what +
                                       ": deadline exceeded");
  }
  return absl::OkStatus();
}

void Hub::Run() {
  Greenlet* self = Greenlet::Current();
  CheckNotHub(self);
  if (run_waiter_ != nullptr) throw std::logic_error("corral::coro: Hub::Run is already running");
  run_waiter_ = self;
  struct Reset {
    Hub* hub;
    Greenlet* self;
    ~Reset() {
      if (hub->run_waiter_ == self) hub->run_waiter_ = nullptr;
    }
  } reset{this, self};
  Park();
}

void Hub::Adopt(Resident* r) {
  r->prev_ = nullptr;
  r->next_ = residents_;
  if (residents_ != nullptr) residents_->prev_ = r;
  residents_ = r;
}

void Hub::Disown(Resident* r) {
  if (r->prev_ != nullptr) {
    r->prev_->next_ = r->next_;
  } else if (residents_ == r) {
    residents_ = r->next_;
  }
  if (r->next_ != nullptr) r->next_->prev_ = r->prev_;
  r->prev_ = r->next_ = nullptr;
}

void Hub::Stop() {
  stop_requested_.store(true, std::memory_order_release);
  poller_.Wake();
}

void Hub::RunInLoop(absl::AnyInvocable<void()> fn) {
  {
    absl::MutexLock lock(&remote_mu_);
    remote_.push_back(std::move(fn));
  }
  poller_.Wake();
}

void Hub::UnparkFromAnyThread(Greenlet* g) {
  {
    absl::MutexLock lock(&remote_mu_);
    remote_ready_.push_back(g);
  }
  poller_.Wake();
}

void Hub::CancelRemoteUnpark(Greenlet* g) {
  absl::MutexLock lock(&remote_mu_);
  remote_ready_.erase(std::remove(remote_ready_.begin(), remote_ready_.end(), g),
                      remote_ready_.end());
}

void Sleep(Clock::duration d) {
  Hub& hub = Hub::Current();
  if (d <= Clock::duration::zero()) {
    hub.Yield();
  } else {
    hub.SleepUntil(Deadline(d));
  }
}

void Yield() { Hub::Current().Yield(); }

}  // namespace corral::coro
