// Poller: the hub's epoll instance, with at most one parked reader and one parked writer per
// descriptor, plus an eventfd through which other threads wake the loop.
//
// Registration is persistent and edge-triggered: the first Arm on a descriptor adds it for
// EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET, and later parks on it cost no syscall (a
// one-shot registration needed an epoll_ctl per park). Edges are not lost when nobody waits: each
// one sets a "maybe ready" bit per direction, which only an observation of "not ready" (EAGAIN, or
// poll(2) in ReadyNow) clears. So:
//   - a caller whose syscall just failed with EAGAIN may Arm and park: any readiness after the
//     EAGAIN is a new edge, reported by a later Poll (no Poll can run before it parks);
//   - any other caller asks ReadyNow first, which costs a poll(2) only if an edge came since.
//   - a reader of a TCP stream whose read came back short may count it as "not readable"
//     (SawUnreadable): whatever the read left behind (segments still in the socket's backlog,
//     bytes that arrived during it) is announced by an edge after it. Its next read then asks
//     KnownUnreadable and parks before trying, saving the read that would fail with EAGAIN (one
//     syscall per request-response exchange). Two things break the rule, and both announce
//     themselves: TCP urgent data (a read stops short at the urgent mark; EPOLLPRI) and the end
//     of the stream (a read that takes the last bytes and the FIN is short, and no edge
//     follows; EPOLLRDHUP, EPOLLHUP, EPOLLERR). A descriptor that has shown either is not
//     "known unreadable" again until it is forgotten.
// Spurious wake-ups remain possible and harmless: the cooperative calls retry their syscall.
//
// Closing: the kernel drops a registration when the descriptor's file is closed, but this
// Poller would go on believing the number registered, and a greenlet parked on a new
// descriptor with the same number would never be woken. So Forget(fd) must be called before
// a descriptor this Poller may have registered is closed (coro::Close does it) and when a
// descriptor number is known to be new (coro::Accept and coro::Connect do it). A number
// believed unregistered but still registered is harmless: ADD falls back to MOD on EEXIST.
//
// Thread affinity: everything runs on the owning hub's thread, except Wake(), which any thread
// may call while the Poller is alive.
#pragma once

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

  // True if `fd` is ready for `interest` now (or has an error or hang-up pending, or is not
  // open: the caller's syscall reports that). False without a syscall when no edge came since
  // `fd` was last seen not ready; otherwise asks poll(2), and records a "not ready" answer.
  bool ReadyNow(int fd, Interest interest);

  // True only when `fd` is registered, was last seen not readable (EAGAIN, ReadyNow, or
  // SawUnreadable), no edge has been reported since, and it never showed urgent data or an end
  // of stream: parking until the next edge is then safe (a read now would most likely fail
  // with EAGAIN, though an edge may be pending). Ignores whether a reader is already parked.
  // No syscall.
  bool KnownUnreadable(int fd) const;
  // Records that the caller just saw `fd` not readable by other means than EAGAIN (a short TCP
  // read), with no blocking point since. No syscall.
  void SawUnreadable(int fd);

  // Records `waiter` as the greenlet to wake at the next edge of `fd` for `interest`, and
  // registers `fd` with epoll unless it already is. The caller must have seen `fd` not ready
  // (EAGAIN, or ReadyNow false) with no blocking point since: Arm discards earlier edges.
  // FailedPrecondition if another greenlet already waits for the same thing on `fd`; the
  // epoll_ctl errno as a Status otherwise (EBADF, EPERM for regular files, ...).
  absl::Status Arm(int fd, Interest interest, Greenlet* waiter);
  // Forgets `waiter` (if it is still recorded). No syscall: the registration stays.
  void Disarm(int fd, Interest interest, Greenlet* waiter);
  // Forgets that `fd` is registered and any edges seen for it; the next Arm registers anew.
  // Call before closing a descriptor this Poller may have registered. Greenlets parked on
  // `fd` stay parked (until their deadline or a kill): close only what nobody waits on.
  void Forget(int fd);

  // Waits up to `timeout_ms` (-1: forever, 0: just look) and calls `wake` for each waiter whose
  // descriptor is ready (or has an error or hang-up). Returns true if Wake() was called since
  // the last Poll that returned true.
  bool Poll(int timeout_ms, absl::FunctionRef<void(Greenlet*)> wake);

  // Any thread: makes a concurrent or the next Poll return promptly with true.
  void Wake();

  // How many greenlets wait on descriptors.
  size_t waiters() const { return waiters_; }

 private:
  struct FdState {
    Greenlet* reader = nullptr;
    Greenlet* writer = nullptr;
    bool registered = false;      // added to epoll for the descriptor now behind this number
    bool maybe_readable = false;  // an edge came since the last "not readable"
    bool maybe_writable = false;
    // Urgent data or an end of stream was reported: a short read no longer means "drained".
    bool short_reads_ambiguous = false;
  };
  FdState& StateOf(int fd);
  absl::Status Register(int fd, FdState& s);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> wake_pending_{false};
  std::vector<FdState> fds_;  // indexed by descriptor number
  size_t waiters_ = 0;
};

}  // namespace corral::coro
