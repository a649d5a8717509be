// corral/cooperative.hpp: the cooperative helpers of corral/handler.h for C++ handlers, as RAII
// types. Header-only, over the C host table; builds with nothing but the SDK's headers.
//
// Every wait parks the calling greenlet on a coroutine hub and blocks the calling thread
// elsewhere, so one handler runs unchanged under fork, thread and coroutine. Waits return a
// corral_status, never throw: CORRAL_TIMEOUT at the deadline (or at the end of an enclosing
// TimeoutScope), CORRAL_CANCELLED once the server cut this worker (then every later call too:
// return). The objects are shared between the tasks of one process (threads, greenlets of any
// hub); a forked worker has its own copies of what it inherited.
//
//   corral::Queue<std::string> outbox(64);
//   corral::Task writer([&] {
//     std::string* line;
//     while (outbox.Get(&line) == CORRAL_OK) { ...; delete line; }
//   });
//   outbox.Put(new std::string("hi\n"), corral::After(std::chrono::seconds(1)));
//   outbox.Close();
//   writer.Join();
//
// Over <corral/handler.hpp>: the host table from corral::Host(), deadlines as corral::Deadline
// (corral::After(d) is `d` from now, corral::kNoDeadline none).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>

#include "corral/handler.hpp"

namespace corral {

inline corral_status SleepUntil(Deadline deadline) { return Host()->sleep_until(deadline.ns()); }
inline corral_status Sleep(std::chrono::nanoseconds d) { return SleepUntil(After(d)); }

// Until destroyed, every wait of the calling task (greenlet or thread) ends by `deadline` with
// CORRAL_TIMEOUT. Scopes nest; the earliest wins. Destroy it on the task that made it.
class TimeoutScope {
 public:
  explicit TimeoutScope(Deadline deadline) { Host()->timeout_push(deadline.ns()); }
  explicit TimeoutScope(std::chrono::nanoseconds d) : TimeoutScope(After(d)) {}
  ~TimeoutScope() { Host()->timeout_pop(); }
  TimeoutScope(const TimeoutScope&) = delete;
  TimeoutScope& operator=(const TimeoutScope&) = delete;
};

// A flag tasks wait for. Set wakes every waiter; later waits pass until Clear.
class Event {
 public:
  Event() : event_(Host()->event_new()) {}
  ~Event() {
    if (event_ != nullptr) Host()->event_free(event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void Set() { Host()->event_set(event_); }
  void Clear() { Host()->event_clear(event_); }
  bool IsSet() const { return Host()->event_is_set(event_) != 0; }
  corral_status Wait(Deadline deadline = kNoDeadline) {
    return Host()->event_wait(event_, deadline.ns());
  }

 private:
  corral_event* event_;
};

// A FIFO of T* between tasks; capacity 0 is unbounded. The queue never owns the items: whoever
// takes one (or drains a closed queue) frees it.
template <typename T>
class Queue {
 public:
  explicit Queue(size_t capacity = 0) : queue_(Host()->queue_new(capacity)) {}
  ~Queue() {
    if (queue_ != nullptr) Host()->queue_free(queue_);
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Waits while full. CORRAL_QUEUE_CLOSED once closed (the item is not taken).
  corral_status Put(T* item, Deadline deadline = kNoDeadline) {
    return Host()->queue_put(queue_, item, deadline.ns());
  }
  // Waits while empty. CORRAL_QUEUE_CLOSED once closed and drained.
  corral_status Get(T** item, Deadline deadline = kNoDeadline) {
    void* got = nullptr;
    corral_status s = Host()->queue_get(queue_, &got, deadline.ns());
    if (s == CORRAL_OK) *item = static_cast<T*>(got);
    return s;
  }
  // Wakes every waiter: later Puts fail, Gets drain what is left then fail.
  void Close() { Host()->queue_close(queue_); }

 private:
  corral_queue* queue_;
};

class Mutex {
 public:
  Mutex() : mutex_(Host()->mutex_new()) {}
  ~Mutex() {
    if (mutex_ != nullptr) Host()->mutex_free(mutex_);
  }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  corral_status Lock(Deadline deadline = kNoDeadline) {
    return Host()->mutex_lock(mutex_, deadline.ns());
  }
  void Unlock() { Host()->mutex_unlock(mutex_); }

 private:
  corral_mutex* mutex_;
};

// Locks in its constructor, unlocks in its destructor if the lock was taken: check status()
// (a wait can time out or be cancelled).
class LockGuard {
 public:
  explicit LockGuard(Mutex& mutex, Deadline deadline = kNoDeadline)
      : mutex_(mutex), status_(mutex.Lock(deadline)) {}
  ~LockGuard() {
    if (status_ == CORRAL_OK) mutex_.Unlock();
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

  corral_status status() const { return status_; }
  bool locked() const { return status_ == CORRAL_OK; }

 private:
  Mutex& mutex_;
  corral_status status_;
};

// fn() run concurrently with its spawner: a greenlet on the spawner's hub, or a thread. Joined
// exactly once: by Join, or by the destructor (which waits without limit). An exception that
// leaves fn is logged and dropped: it must not cross into the host.
class Task {
 public:
  template <typename F>
  explicit Task(F fn) {
    auto* box = new F(std::move(fn));
    task_ = Host()->spawn(&Run<F>, box);
    if (task_ == nullptr) delete box;
  }
  ~Task() {
    if (task_ != nullptr) (void)Join();
  }
  Task(Task&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
  Task& operator=(Task&&) = delete;
  Task(const Task&) = delete;

  // Whether it started (the host could start a greenlet or thread).
  bool started() const { return task_ != nullptr; }
  // CORRAL_OK once fn returned (the task is then gone); CORRAL_TIMEOUT leaves it running. Even a
  // cancelled caller waits here (fn may use what the caller owns): end fn first, e.g. by closing
  // the queue it reads.
  corral_status Join(Deadline deadline = kNoDeadline) {
    if (task_ == nullptr) return CORRAL_INVALID;
    corral_status s = Host()->join(task_, deadline.ns());
    if (s == CORRAL_OK) task_ = nullptr;
    return s;
  }

 private:
  template <typename F>
  static void Run(void* arg) {
    std::unique_ptr<F> fn(static_cast<F*>(arg));
    try {
      (*fn)();
    } catch (...) {
      if (Host()->log != nullptr) {
        Host()->log(nullptr, CORRAL_LOG_ERROR, "a task ended with an exception; dropped");
      }
    }
  }

  corral_task* task_ = nullptr;
};

}  // namespace corral
