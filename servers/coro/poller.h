// Poller: the hub's epoll instance, with at most one parked reader and one parked writer per
// descriptor, plus an eventfd through which other threads wake the loop.
//
// Registration is one-shot (EPOLLONESHOT) and re-armed by every Arm(): one epoll_ctl per park,
// and nothing to clean up when a caller closes its descriptor (the kernel drops the
// registration; a later Arm on a reused number falls back from MOD to ADD). Events for a
// descriptor nobody waits on any more are ignored; spurious wake-ups are harmless because the
// cooperative calls retry their syscall and park again on EAGAIN.
//
// Thread affinity: everything runs on the owning hub's thread, except Wake(), which any thread
// may call while the Poller is alive.
#ifndef CORRAL_SERVERS_CORO_POLLER_H_
#define CORRAL_SERVERS_CORO_POLLER_H_

#include <atomic>
#include <cstddef>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace corral::coro {

class Greenlet;

class Poller {
 public:
  enum class Interest { kRead, kWrite };

  // Aborts if epoll_create1 or eventfd fails: a hub without them cannot exist.
  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Records `waiter` as the greenlet to wake when `fd` is ready for `interest`, and arms epoll.
  // FailedPrecondition if another greenlet already waits for the same thing on `fd`; the
  // epoll_ctl errno as a Status otherwise (EBADF, EPERM for regular files, ...).
  absl::Status Arm(int fd, Interest interest, Greenlet* waiter);
  // Forgets `waiter` (if it is still recorded). No syscall: the one-shot registration simply
  // fires once more, for nobody, or is dropped when the descriptor closes.
  void Disarm(int fd, Interest interest, Greenlet* waiter);

  // Waits up to `timeout_ms` (-1: forever, 0: just look) and calls `wake` for each waiter whose
  // descriptor is ready (or has an error or hang-up). Returns true if Wake() was called since
  // the last Poll that returned true.
  bool Poll(int timeout_ms, absl::FunctionRef<void(Greenlet*)> wake);

  // Any thread: makes a concurrent or the next Poll return promptly with true.
  void Wake();

  // How many greenlets wait on descriptors.
  size_t waiters() const { return waiters_; }

 private:
  struct FdWaiters {
    Greenlet* reader = nullptr;
    Greenlet* writer = nullptr;
    bool added = false;  // believed registered with epoll (may be stale after a close)
  };
  absl::Status Rearm(int fd, FdWaiters& w);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> wake_pending_{false};
  std::vector<FdWaiters> fds_;  // indexed by descriptor number
  size_t waiters_ = 0;
};

}  // namespace corral::coro

#endif  // CORRAL_SERVERS_CORO_POLLER_H_
