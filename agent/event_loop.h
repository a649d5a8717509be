// EventLoop: the agent's single supervision thread. An epoll loop over watched descriptors
// (pidfds, readiness pipes, the signalfd), a timer queue, and a queue of tasks handed over from
// other threads (the gRPC handlers). All supervision state is touched only from this thread, so
// it needs no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/unique_fd.h"

namespace corral::agent {

class EventLoop {
 public:
  using Task = std::function<void()>;
  using IoCallback = std::function<void(uint32_t epoll_events)>;
  using TimerId = uint64_t;
  using Clock = std::chrono::steady_clock;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Creation errors (epoll, eventfd) are reported here rather than thrown.
  absl::Status status() const { return status_; }

  // Runs until Quit(). The calling thread becomes the loop thread. Returns early, with
  // status() set, only if epoll_wait itself fails (a bug: a bad descriptor).
  void Run();

  // Any thread. Run() returns after the current iteration.
  void Quit();

  // Any thread. Queues `task` to run in the loop thread, in order.
  void RunInLoop(Task task);

  // Loop thread only. Calls `on_ready` with the epoll events whenever `fd` is ready for
  // `events` (level-triggered). The caller keeps owning `fd` and must Unwatch it before closing.
  // Errors name the failed epoll_ctl; nothing is watched then. Watching a descriptor twice is
  // ALREADY_EXISTS. A watched number whose descriptor was closed without Unwatch (the kernel
  // dropped it) is logged as the caller's bug and replaced, so the new owner of the number is
  // not punished for it.
  absl::Status Watch(int fd, uint32_t events, IoCallback on_ready);
  // Loop thread only. Stops calling back for `fd`; a no-op for a descriptor not watched. The
  // error (the descriptor was closed while still watched) is also logged.
  absl::Status Unwatch(int fd);

  // Loop thread only. Runs `task` once, `delay` from now. Returns an id for Cancel().
  TimerId RunAfter(std::chrono::milliseconds delay, Task task);
  // Loop thread only. A no-op for a timer that already ran or was cancelled, and for id 0.
  void Cancel(TimerId id);

 private:
  void Wake();
  int NextTimeoutMs() const;
  void RunDueTimers();
  void RunQueuedTasks();

  absl::Status status_;
  base::UniqueFd epoll_;
  base::UniqueFd wakeup_;  // eventfd; written by RunInLoop and Quit
  bool quit_ = false;      // loop thread only

  std::unordered_map<int, IoCallback> watched_;
  TimerId next_timer_id_ = 1;
  std::map<std::pair<Clock::time_point, TimerId>, Task> timers_;
  std::unordered_map<TimerId, Clock::time_point> timer_due_;

  absl::Mutex mu_;
  std::vector<Task> queued_ ABSL_GUARDED_BY(mu_);
  bool quit_requested_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace corral::agent
