// Hub: the per-thread scheduler of corral::coro (gevent's hub).
//
// The hub is a greenlet of its own that runs the loop: fire due timers, poll epoll, resume the
// greenlets that became ready. Every other greenlet switches to it when it blocks ("parks") and
// is switched back when the reason it parked for is gone (Unpark). Spawned greenlets (task.h)
// have the hub as their parent. Nothing runs until the current greenlet blocks or yields.
//
// The thread's root greenlet (its ordinary stack) uses the hub the same way: a blocking call
// made from main() parks the root, runs the loop, and returns once the root is unparked. So
// "run the loop until this greenlet finishes" is simply `handle.Join()`, and "run the loop until
// told to stop" is `Hub::Current().Run()`.
//
// Thread affinity: one hub per OS thread, created on first use by Hub::Current() and destroyed
// at thread exit (killing the greenlets still alive on it). All methods are for the hub's own
// thread, except Stop(), RunInLoop(), UnparkFromAnyThread() and activity(), which any thread may
// call while the hub exists (the owner of the hub thread decides how long that is, e.g. by joining
// the thread after Stop()).
//
// Blocking calls must not be made on the hub's own stack (timer and RunInLoop callbacks): they
// throw std::logic_error there.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <stdexcept>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "servers/coro/deadline.h"
#include "servers/coro/greenlet.h"
#include "servers/coro/poller.h"
#include "servers/coro/timer_queue.h"

namespace corral::coro {

// Raised in the thread's root greenlet when it waits on the hub and nothing could ever wake
// anything up again (no ready greenlet, no timer, no descriptor waited on, no Run()): the
// program would otherwise block forever (gevent's LoopExit).
class LoopExit : public std::runtime_error {
 public:
  LoopExit() : std::runtime_error("corral::coro: this operation would block forever") {}
};

// Raised in a parked greenlet (sleeping, waiting on a primitive, a descriptor or a join) that
// another greenlet resumed with a direct Switch instead of letting the hub wake it: taking that
// switch as the wake-up would end the wait early and silently (gevent's InvalidSwitchError).
// The wait is abandoned; the switch's value, if any, is dropped.
class InvalidSwitch : public std::logic_error {
 public:
  InvalidSwitch()
      : std::logic_error(
            "corral::coro: invalid switch into a parked greenlet: it was resumed by a direct "
            "Switch, not by the hub it waits on") {}
};

class Hub {
 public:
  // This thread's hub, created on first use.
  static Hub& Current();
  // This thread's hub if it has one; null otherwise (never creates one).
  static Hub* IfExists();

  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // ---- Hub thread only -------------------------------------------------------------------

  // Blocks the current greenlet until someone calls Unpark on it. Throws (and clears) the
  // greenlet's pending exception if one was set by Interrupt: GreenletExit after a Kill,
  // TimeoutExpired after a Timeout, LoopExit in the root on a deadlock; an exception thrown into
  // it with Greenlet::Throw; InvalidSwitch if another greenlet switched into it directly.
  void Park();
  // Makes a parked greenlet ready to resume and returns true; a no-op returning false if it is
  // not parked (already woken by something else).
  bool Unpark(Greenlet* g);
  // Schedules the first switch into `g` (a new greenlet whose parent is greenlet()).
  void Start(Greenlet* g);
  // Takes `g` off the ready queue (a task discarded before it started, about to be freed).
  void Unschedule(Greenlet* g);
  // Lets every other ready greenlet run once, then resumes the caller (Sleep(0)).
  void Yield();
  // Parks the caller until `deadline`. Deadline::Never() parks until interrupted.
  void SleepUntil(Deadline deadline);
  // Arranges for `error` to be thrown in `g` at its current or next blocking point, and wakes
  // it if it is parked. A started greenlet suspended outside the hub (in a direct Switch that
  // nobody will answer) is resumed too, with `error` thrown at that Switch, as gevent's kill
  // does. (Kill and Timeout are built on this.)
  void Interrupt(Greenlet* g, std::exception_ptr error);
  // Interrupt with GreenletExit (Kill), and marks `g` cancelled: from now on the status calls
  // (nothrow.h) it makes return CANCELLED at once.
  void Cancel(Greenlet* g);
  // Whether the current greenlet was cancelled (above, or a GreenletExit reached a status call).
  static bool Cancelled();
  // Marks `g` cancelled without interrupting it (a status call caught the GreenletExit of a
  // kill; a kill thrown in directly).
  static void MarkCancelled(Greenlet* g);
  // Withdraws `error` from `g` if it is still pending there (a Timeout that fired but was left
  // before it could be raised).
  void Withdraw(Greenlet* g, const std::exception_ptr& error);
  // Throws the current greenlet's pending exception now, if it has one. For greenlets that
  // were interrupted before they first ran.
  static void CheckInterrupt();
  // Parks the caller until `fd` is ready for `interest` or `deadline` passes; returns at once
  // if it is ready now. OK when ready (or when woken by an error/hang-up on fd: the retried
  // syscall reports it), DeadlineExceeded, FailedPrecondition if another greenlet already
  // waits for the same thing on fd, or the epoll_ctl errno. Throws like Park.
  absl::Status WaitFd(int fd, Poller::Interest interest, Deadline deadline);
  // WaitFd for a caller whose syscall on `fd` just failed with EAGAIN (or whose connect is in
  // progress), with no blocking point since: fd is known not ready, so this parks without
  // asking poll(2) first. The cooperative socket calls use it.
  absl::Status WaitFdAfterEagain(int fd, Poller::Interest interest, Deadline deadline);
  // Forgets fd's epoll registration: call before closing a descriptor that greenlets of this
  // hub may have waited on, and for a number that now names a new descriptor (poller.h).
  void ForgetFd(int fd) { poller_.Forget(fd); }
  // See Poller: whether a reader of `fd` may park before trying its read, and how it records
  // that a short TCP read showed `fd` drained.
  bool KnownUnreadable(int fd) const { return poller_.KnownUnreadable(fd); }
  void SawUnreadable(int fd) { poller_.SawUnreadable(fd); }

  // A greenlet about to park until another thread wakes it (UnparkFromAnyThread) registers
  // here for as long as it may be so woken: the loop then waits for that wake instead of
  // declaring a deadlock (LoopExit) when nothing local could wake anyone.
  void AddRemoteWaiter() { ++remote_waiters_; }
  void RemoveRemoteWaiter() { --remote_waiters_; }
  // Withdraws a wake that UnparkFromAnyThread(g) queued and the loop has not acted on yet. A
  // waiter calls it once it stopped waiting (woken, timed out or killed) and no other thread
  // can queue a wake for it any more, so that no stale wake lands in a later park of `g`.
  void CancelRemoteUnpark(Greenlet* g);

  // Runs the loop (parks the caller) until Stop() is called, from any thread or greenlet. A
  // Stop() that arrives while nobody is in Run() makes the next Run() return at once.
  void Run();

  // Keeps `object` alive until the next loop iteration. A greenlet that finishes uses it to drop
  // the last reference to itself without freeing the stack it is still running on.
  void Retire(std::shared_ptr<void> object) { zombies_.push_back(std::move(object)); }

  const std::shared_ptr<Greenlet>& greenlet() const { return greenlet_; }
  TimerQueue& timers() { return timers_; }
  size_t ready_count() const { return ready_.size(); }

  // Greenlets that the hub kills when it is destroyed (spawned tasks register themselves).
  class Resident {
   protected:
    virtual ~Resident() = default;
    // Make the greenlet finish now (it runs on this thread during ~Hub); must unlink itself.
    virtual void KillForShutdown() = 0;

   private:
    friend class Hub;
    Resident* prev_ = nullptr;
    Resident* next_ = nullptr;
  };
  void Adopt(Resident* r);
  void Disown(Resident* r);

  // ---- Any thread -------------------------------------------------------------------------

  // Asks Run() to return (see Run). Wakes the loop if it is waiting in epoll. RunInLoop
  // callbacks queued before Stop() (in the same thread's order) have run by the time Run()
  // returns.
  void Stop();
  // Queues `fn` to run on the hub's stack at its next loop iteration, and wakes the loop. `fn`
  // must not block; it may Spawn, Unpark, Stop.
  void RunInLoop(absl::AnyInvocable<void()> fn);
  // Unpark(g) for a thread other than the hub's: queues `g` on the hub's remote-ready list and
  // wakes the loop, which unparks it at its next iteration (a no-op then if it is no longer
  // parked). The caller must know that `g` is still registered as waiting (it holds the lock
  // under which `g` withdraws, see CancelRemoteUnpark). No allocation once the list has grown.
  void UnparkFromAnyThread(Greenlet* g);
  // A count of the hub's switches into and back out of its greenlets: odd while a greenlet
  // runs, even while the loop does. A watchdog thread that sees it odd and unchanged for a
  // while knows a greenlet holds the hub without yielding (stall_detector.h).
  uint64_t activity() const { return activity_.load(std::memory_order_relaxed); }

 private:
  // How many greenlet resumptions may pass between two zero-timeout polls while the ready
  // queue is never empty: bounds how long a yield-heavy workload can delay I/O and remote calls.
  static constexpr size_t kResumesPerPoll = 64;

  Hub();
  static Hub& CreateForThisThread();
  void Loop();
  int PollTimeoutMs();
  void RunReady();
  void RunRemoteCallbacks();
  void Suspend(Greenlet* self);
  void Schedule(Greenlet* g);
  void CheckNotHub(Greenlet* self) const;
  enum class FdKnown { kMaybeReady, kNotReady };
  absl::Status WaitFdFor(int fd, Poller::Interest interest, Deadline deadline, FdKnown known);

  std::shared_ptr<Greenlet> greenlet_;
  Poller poller_;
  TimerQueue timers_;
  std::vector<Greenlet*> ready_;    // resumed in order by RunReady
  std::vector<Greenlet*> running_;  // RunReady's batch (swapped with ready_, no allocation)
  size_t running_pos_ = 0;
  // The greenlet RunReady is switching to: a greenlet that lands in Suspend while it is not this
  // one was switched to by someone else.
  Greenlet* resuming_ = nullptr;
  std::vector<std::shared_ptr<void>> zombies_;
  size_t resumes_since_poll_ = 0;
  Greenlet* run_waiter_ = nullptr;  // the greenlet blocked in Run()
  Resident* residents_ = nullptr;

  size_t remote_waiters_ = 0;
  // Written by the hub thread only (so a relaxed load and store, no read-modify-write).
  std::atomic<uint64_t> activity_{0};

  std::atomic<bool> stop_requested_{false};
  absl::Mutex remote_mu_;
  std::vector<absl::AnyInvocable<void()>> remote_ ABSL_GUARDED_BY(remote_mu_);
  std::vector<Greenlet*> remote_ready_ ABSL_GUARDED_BY(remote_mu_);
  std::vector<Greenlet*> remote_batch_;  // RunRemoteCallbacks' swap partner
};

// The current greenlet sleeps at least `d` (Sleep(0) or less: yields once to every other ready
// greenlet, without starving I/O). Throws like Hub::Park (GreenletExit, TimeoutExpired).
void Sleep(Clock::duration d);
// Sleep(0).
void Yield();

}  // namespace corral::coro
