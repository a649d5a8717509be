#include "servers/coro/poller.h"

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

absl::Status Poller::Arm(int fd, Interest interest, Greenlet* waiter) {
  if (fd < 0) return absl::InvalidArgumentError("wait on fd " + std::to_string(fd) + ": bad fd");
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) + 64);
  FdWaiters& w = fds_[static_cast<size_t>(fd)];
  Greenlet*& slot = interest == Interest::kRead ? w.reader : w.writer;
  if (slot != nullptr && slot != waiter) {
    return absl::FailedPreconditionError("wait on fd " + std::to_string(fd) +
                                         ": another greenlet is already waiting to " +
                                         (interest == Interest::kRead ? "read" : "write"));
  }
  if (slot == nullptr) ++waiters_;
  slot = waiter;
  absl::Status status = Rearm(fd, w);
  if (!status.ok()) Disarm(fd, interest, waiter);
  return status;
}

absl::Status Poller::Rearm(int fd, FdWaiters& w) {
  epoll_event ev{};
  ev.events = EPOLLONESHOT | (w.reader ? EPOLLIN | EPOLLRDHUP : 0u) | (w.writer ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  int op = w.added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (epoll_ctl(epoll_fd_, op, fd, &ev) == 0) {
      w.added = true;
      return absl::OkStatus();
    }
    // Our belief was stale: the descriptor was closed and its number reused, or registered
    // by an earlier incarnation we forgot about.
    if (op == EPOLL_CTL_MOD && errno == ENOENT) {
      op = EPOLL_CTL_ADD;
    } else if (op == EPOLL_CTL_ADD && errno == EEXIST) {
      op = EPOLL_CTL_MOD;
    } else {
      break;
    }
  }
  w.added = false;
  return absl::ErrnoToStatus(errno, "epoll_ctl fd " + std::to_string(fd));
}

void Poller::Disarm(int fd, Interest interest, Greenlet* waiter) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return;
  FdWaiters& w = fds_[static_cast<size_t>(fd)];
  Greenlet*& slot = interest == Interest::kRead ? w.reader : w.writer;
  if (slot == waiter) {
    slot = nullptr;
    --waiters_;
  }
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
      wake_pending_.store(false, std::memory_order_release);
      uint64_t drained;
      while (read(wake_fd_, &drained, sizeof drained) > 0) {
      }
      woken = true;
      continue;
    }
    if (static_cast<size_t>(fd) >= fds_.size()) continue;
    FdWaiters& w = fds_[static_cast<size_t>(fd)];
    const bool failed = (ev & (EPOLLERR | EPOLLHUP)) != 0;
    if (w.reader && (failed || (ev & (EPOLLIN | EPOLLRDHUP)))) {
      wake(std::exchange(w.reader, nullptr));
      --waiters_;
    }
    if (w.writer && (failed || (ev & EPOLLOUT))) {
      wake(std::exchange(w.writer, nullptr));
      --waiters_;
    }
    // One-shot disabled the whole registration; keep watching for whoever still waits.
    if (w.reader || w.writer) {
      if (!Rearm(fd, w).ok()) {
        if (w.reader) wake(std::exchange(w.reader, nullptr)), --waiters_;
        if (w.writer) wake(std::exchange(w.writer, nullptr)), --waiters_;
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
