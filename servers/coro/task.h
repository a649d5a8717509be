// Spawned greenlets (gevent.spawn): Task, its handles, Spawn, SpawnLater, JoinAll.
//
//   Handle<int> h = Spawn([](int x) { Sleep(10ms); return x * 2; }, 21);
//   int v = h.Get();                       // parks the caller until h finishes: 42
//
// A Task is a greenlet whose parent is the hub. Spawn only schedules it: it first runs when the
// spawning greenlet blocks or yields. The hub keeps a running task alive: dropping every handle
// does not stop it (Kill does). A task's outcome is one of
//   - a value (its function returned; void functions have none),
//   - killed (GreenletExit reached its top: Kill(), or it threw GreenletExit itself; the
//     GreenletExit's value, if any, is its value). Counts as successful, as in gevent.
//   - an exception (anything else it threw): stored, re-thrown by Get(), never propagated to
//     the hub or the spawner on its own.
// Results are stored in std::any, so a function's return type must be copy-constructible.
//
// Thread affinity: a task and its handles belong to the hub thread that spawned it.
#pragma once

#include <any>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "servers/coro/deadline.h"
#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"
#include "servers/coro/timer_queue.h"
#include "servers/coro/wait_list.h"

namespace corral::coro {

// Thrown by Get() on a task that was killed without leaving a value.
class TaskKilled : public std::runtime_error {
 public:
  TaskKilled() : std::runtime_error("corral::coro: task was killed") {}
};

class Task final : public Greenlet, public Hub::Resident {
  struct PassKey {};

 public:
  using Body = absl::AnyInvocable<std::any()>;

  // Schedules `body` to start on `hub` after `delay` (zero: at the next loop iteration).
  // `hub` must be the calling thread's hub.
  static std::shared_ptr<Task> Create(Body body, Hub& hub,
                                      Clock::duration delay = Clock::duration::zero());

  Task(PassKey, Body body, Hub& hub);
  ~Task() override;

  // Finished, one way or another.
  bool ready() const { return done_; }
  // Finished with a value or killed (not with an exception).
  bool successful() const { return done_ && !error_; }
  bool killed() const { return killed_; }
  // The exception it finished with, or null.
  std::exception_ptr exception() const { return error_; }

  // Parks the caller until the task finishes (true) or `deadline` passes (false). Throws like
  // Hub::Park. Joining the running task itself throws std::logic_error.
  bool Join(Deadline deadline = {});
  // Join(), then the value; re-throws the task's exception; TaskKilled if it was killed
  // without a value.
  std::any Get();
  // Raises GreenletExit in the task at its current or next blocking point. A task that has not
  // started (Spawn'd, or SpawnLater not yet due) never runs: it is finished (killed, ready, done
  // callbacks run, joiners woken) before Kill returns, with or without `block`, as in gevent.
  // With `block`, then Join(deadline); returns whether it is finished. Killing the calling task
  // itself throws GreenletExit right away.
  bool Kill(bool block = true, Deadline deadline = {});
  // Runs `fn(task)` when the task finishes (right away if it already has), on the finishing
  // greenlet's stack (the killer's, for a task killed before it started). `fn` must not block.
  void AddDoneCallback(absl::AnyInvocable<void(Task&)> fn);

 private:
  class StartTimer final : public TimerQueue::Timer {
   public:
    explicit StartTimer(Task* task) : task_(task) {}

   private:
    void Fire() override;
    Task* task_;
  };

  std::any Run(std::any) override;
  void KillForShutdown() override;
  void Finish();

  Hub* hub_;
  Body body_;
  std::shared_ptr<Task> self_;  // the hub's reference, from scheduling until Finish
  StartTimer start_timer_{this};
  bool done_ = false;
  bool killed_ = false;
  std::any value_;
  std::exception_ptr error_;
  WaitList joiners_;
  std::vector<absl::AnyInvocable<void(Task&)>> callbacks_;
};

// An untyped reference to a spawned task (shared ownership of its state).
class AnyHandle {
 public:
  AnyHandle() = default;
  explicit AnyHandle(std::shared_ptr<Task> task) : task_(std::move(task)) {}

  bool ready() const { return task_->ready(); }
  bool successful() const { return task_->successful(); }
  bool killed() const { return task_->killed(); }
  std::exception_ptr exception() const { return task_->exception(); }
  bool Join(Deadline deadline = {}) const { return task_->Join(deadline); }
  bool Kill(bool block = true, Deadline deadline = {}) const {
    return task_->Kill(block, deadline);
  }
  std::any GetAny() const { return task_->Get(); }

  const std::shared_ptr<Task>& task() const { return task_; }
  explicit operator bool() const { return task_ != nullptr; }
  friend bool operator==(const AnyHandle& a, const AnyHandle& b) { return a.task_ == b.task_; }

 private:
  std::shared_ptr<Task> task_;
};

// A handle that knows the function's result type.
template <typename T>
class Handle : public AnyHandle {
 public:
  using AnyHandle::AnyHandle;
  // Parks until the task finishes; returns its value or throws as Task::Get does.
  T Get() const {
    std::any v = GetAny();
    if constexpr (!std::is_void_v<T>) return std::any_cast<T>(std::move(v));
  }
};

namespace internal {
template <typename F, typename... Args>
using SpawnResult = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;

template <typename F, typename... Args>
Task::Body Bind(F&& fn, Args&&... args) {
  return [fn = std::forward<F>(fn),
          args = std::make_tuple(std::forward<Args>(args)...)]() mutable -> std::any {
    if constexpr (std::is_void_v<SpawnResult<F, Args...>>) {
      std::apply(std::move(fn), std::move(args));
      return {};
    } else {
      return std::any(std::apply(std::move(fn), std::move(args)));
    }
  };
}
}  // namespace internal

// Schedules fn(args...) in a new greenlet on this thread's hub. Arguments are copied/moved in.
template <typename F, typename... Args>
Handle<internal::SpawnResult<F, Args...>> Spawn(F&& fn, Args&&... args) {
  return Handle<internal::SpawnResult<F, Args...>>(Task::Create(
      internal::Bind(std::forward<F>(fn), std::forward<Args>(args)...), Hub::Current()));
}

// Like Spawn, but the greenlet starts no earlier than `delay` from now.
template <typename F, typename... Args>
Handle<internal::SpawnResult<F, Args...>> SpawnLater(Clock::duration delay, F&& fn,
                                                     Args&&... args) {
  return Handle<internal::SpawnResult<F, Args...>>(Task::Create(
      internal::Bind(std::forward<F>(fn), std::forward<Args>(args)...), Hub::Current(), delay));
}

// gevent.joinall: parks until every task in `handles` has finished or `deadline` passes, and
// returns the finished ones (those already finished first, in the given order, then in the
// order they finished). With `raise_error`, stops at the first task that finished with an
// exception and re-throws it. Throws like Hub::Park.
std::vector<AnyHandle> JoinAll(const std::vector<AnyHandle>& handles, Deadline deadline = {},
                               bool raise_error = false);

}  // namespace corral::coro
