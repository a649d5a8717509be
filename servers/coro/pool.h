// Pool: spawn with a bound on how many of its tasks run at once (gevent.pool.Pool).
//
//   Pool pool(100);
//   for (...) pool.Spawn(Handle, conn);   // parks the spawner while 100 are running
//   pool.Join();
//
// Ownership: the pool tracks its running tasks; destroying it kills those still running (and
// waits for them). Thread affinity: one hub thread.
#pragma once

#include <cstddef>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "servers/coro/deadline.h"
#include "servers/coro/semaphore.h"
#include "servers/coro/task.h"
#include "servers/coro/wait_list.h"

namespace corral::coro {

class Pool {
 public:
  // At most `capacity` tasks at once. A Pool(0) is always full, as in gevent: its Spawn parks
  // until the caller is interrupted (Timeout, Kill) and never spawns.
  explicit Pool(size_t capacity);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Spawns fn(args...) once fewer than capacity() of this pool's tasks are running, parking the
  // caller until then. Throws like Hub::Park (nothing is spawned then).
  template <typename F, typename... Args>
  Handle<internal::SpawnResult<F, Args...>> Spawn(F&& fn, Args&&... args) {
    slots_.Acquire();
    Handle<internal::SpawnResult<F, Args...>> h;
    try {
      h = coro::Spawn(std::forward<F>(fn), std::forward<Args>(args)...);
    } catch (...) {
      slots_.Release();
      throw;
    }
    Track(h);
    return h;
  }

  // Parks until no task of the pool is running (true) or `deadline` passes (false).
  bool Join(Deadline deadline = {});
  // Kills every running task and waits for them until `deadline`; true if all finished.
  bool Kill(Deadline deadline = {});

  size_t capacity() const { return capacity_; }
  size_t running() const { return running_.size(); }
  size_t free_count() const { return capacity_ - running_.size(); }
  bool full() const { return running_.size() >= capacity_; }

 private:
  void Track(const AnyHandle& h);

  size_t capacity_;
  Semaphore slots_;
  absl::flat_hash_map<Task*, AnyHandle> running_;
  WaitList idle_waiters_;
};

}  // namespace corral::coro
