#include "servers/coro/poller.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace corral::coro {
namespace {

constexpr int kMaxEvents = 256;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

Poller::Poller() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) Die("corral::coro hub: epoll_create1");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) Die("corral::coro hub: eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: drained explicitly in Poll
  ev.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) Die("corral::coro hub: epoll_ctl");
}

Poller::~Poller() {
  close(wake_fd_);
  close(epoll_fd_);
}

Poller::FdState& Poller::StateOf(int fd) {
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) + 64);
  return fds_[static_cast<size_t>(fd)];
}

bool Poller::ReadyNow(int fd, Interest interest) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return false;
  FdState& s = fds_[static_cast<size_t>(fd)];
  bool& maybe = interest == Interest::kRead ? s.maybe_readable : s.maybe_writable;
  if (!maybe) return false;
  pollfd p{fd, static_cast<short>(interest == Interest::kRead ? POLLIN | POLLRDHUP : POLLOUT), 0};
  int n;
  while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR) {
  }
  if (n != 0) return true;  // ready, or poll failed: either way the caller's syscall tells
  maybe = false;
  return false;
}

bool Poller::KnownUnreadable(int fd) const {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return false;
  const FdState& s = fds_[static_cast<size_t>(fd)];
  // Unregistered: no edge would tell us when it becomes readable.
  return s.registered && !s.maybe_readable && !s.short_reads_ambiguous;
}

void Poller::SawUnreadable(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return;
  fds_[static_cast<size_t>(fd)].maybe_readable = false;
}

absl::Status Poller::Arm(int fd, Interest interest, Greenlet* waiter) {
  if (fd < 0) return absl::InvalidArgumentError("wait on fd " + std::to_string(fd) + ": bad fd");
  FdState& s = StateOf(fd);
  Greenlet*& slot = interest == Interest::kRead ? s.reader : s.writer;
  if (slot != nullptr && slot != waiter) {
    return absl::FailedPreconditionError("wait on fd " + std::to_string(fd) +
                                         ": another greenlet is already waiting to " +
                                         (interest == Interest::kRead ? "read" : "write"));
  }
  // Every edge so far came before the caller saw "not ready" (no Poll ran since): stale.
  (interest == Interest::kRead ? s.maybe_readable : s.maybe_writable) = false;
  if (!s.registered) {
    if (absl::Status status = Register(fd, s); !status.ok()) return status;
  }
  if (slot == nullptr) ++waiters_;
  slot = waiter;
  return absl::OkStatus();
}

absl::Status Poller::Register(int fd, FdState& s) {
  epoll_event ev{};
  // EPOLLPRI only to learn of TCP urgent data, which makes short reads ambiguous (see the header).
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
  ev.data.fd = fd;
  // EEXIST: still registered under a number we were told to forget (e.g. a descriptor that
  // Connect was given after an earlier wait on it). MOD makes the registration ours again.
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0 &&
      (errno != EEXIST || epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0)) {
    return absl::ErrnoToStatus(errno, "epoll_ctl fd " + std::to_string(fd));
  }
  s.registered = true;
  return absl::OkStatus();
}

void Poller::Disarm(int fd, Interest interest, Greenlet* waiter) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return;
  FdState& s = fds_[static_cast<size_t>(fd)];
  Greenlet*& slot = interest == Interest::kRead ? s.reader : s.writer;
  if (slot == waiter) {
    slot = nullptr;
    --waiters_;
  }
}

void Poller::Forget(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return;
  FdState& s = fds_[static_cast<size_t>(fd)];
  s.registered = false;
  s.maybe_readable = false;
  s.maybe_writable = false;
  s.short_reads_ambiguous = false;
}

bool Poller::Poll(int timeout_ms, absl::FunctionRef<void(Greenlet*)> wake) {
  epoll_event events[kMaxEvents];
  const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return false;  // the loop simply polls again
    Die("corral::coro hub: epoll_wait");
  }
  bool woken = false;
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    const uint32_t ev = events[i].events;
    if (fd == wake_fd_) {
      // Drain first, then clear: a Wake() that lands between the two finds the flag still
      // set and writes nothing, but its work was queued before it and is run after this Poll
      // returns true. Clearing first would let such a write be swallowed by the drain while
      // the flag stayed set, and every later Wake() would write nothing: a hub asleep for ever
      // with work queued. The clear is a read-modify-write so that it acquires what the last
      // suppressed Wake() released (a plain store could pass the caller's later queue read).
      uint64_t drained;
      while (read(wake_fd_, &drained, sizeof drained) > 0) {
      }
      wake_pending_.exchange(false, std::memory_order_acq_rel);
      woken = true;
      continue;
    }
    if (static_cast<size_t>(fd) >= fds_.size()) continue;
    FdState& s = fds_[static_cast<size_t>(fd)];
    const bool failed = (ev & (EPOLLERR | EPOLLHUP)) != 0;
    // The bits are set even when a waiter is woken: it may look without reading (WaitReadable)
    // and wait again, and the edge will not come twice.
    if (failed || (ev & (EPOLLPRI | EPOLLRDHUP))) s.short_reads_ambiguous = true;
    if (failed || (ev & (EPOLLIN | EPOLLRDHUP | EPOLLPRI))) {
      s.maybe_readable = true;
      if (s.reader != nullptr) {
        wake(std::exchange(s.reader, nullptr));
        --waiters_;
      }
    }
    if (failed || (ev & EPOLLOUT)) {
      s.maybe_writable = true;
      if (s.writer != nullptr) {
        wake(std::exchange(s.writer, nullptr));
        --waiters_;
      }
    }
  }
  return woken;
}

void Poller::Wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;  // one write is enough
  const uint64_t one = 1;
  while (write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

}  // namespace corral::coro
