#include "agent/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::agent {

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_) {
    status_ = base::SyscallError("epoll_create1", errno);
  } else if (!wakeup_) {
    status_ = base::SyscallError("eventfd", errno);
  } else {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeup_.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &event) != 0) {
      status_ = base::SyscallError("watch the wakeup eventfd: epoll_ctl(ADD)", errno);
    }
  }
}

void EventLoop::Run() {
  epoll_event events[64];
  while (!quit_) {
    int n = ::epoll_wait(epoll_.get(), events, 64, NextTimeoutMs());
    if (n < 0) {
      if (errno == EINTR) continue;
      status_ = base::SyscallError("wait for events: epoll_wait", errno);
      spdlog::critical("event loop: {}; stopping the loop", std::string(status_.message()));
      return;
    }
    for (int i = 0; i < n; ++i) {
      auto it = watched_.find(events[i].data.fd);
      if (it == watched_.end()) continue;  // the wakeup eventfd, or unwatched meanwhile
      IoCallback callback = it->second;    // a copy: the callback may Unwatch itself
      callback(events[i].events);
    }
    RunDueTimers();
    RunQueuedTasks();
  }
}

void EventLoop::Quit() {
  {
    absl::MutexLock lock(&mu_);
    quit_requested_ = true;
  }
  Wake();
}

void EventLoop::RunInLoop(Task task) {
  {
    absl::MutexLock lock(&mu_);
    queued_.push_back(std::move(task));
  }
  Wake();
}

void EventLoop::Wake() {
  uint64_t one = 1;
  (void)!::write(wakeup_.get(), &one, sizeof one);
}

absl::Status EventLoop::Watch(int fd, uint32_t events, IoCallback on_ready) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  // Always ADD: the kernel knows whether the number is still registered, our map may not.
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    if (error == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("watch descriptor ", fd, ": it is watched already"));
    }
    return base::SyscallError(absl::StrCat("watch descriptor ", fd, ": epoll_ctl(ADD)"), error);
  }
  auto [it, added] = watched_.try_emplace(fd, std::move(on_ready));
  if (!added) {
    spdlog::error(
        "event loop: descriptor {} was closed while still watched (a bug); "
        "watching its new owner",
        fd);
    it->second = std::move(on_ready);
  }
  return absl::OkStatus();
}

absl::Status EventLoop::Unwatch(int fd) {
  if (watched_.erase(fd) == 0) return absl::OkStatus();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) {
    absl::Status status =
        base::SyscallError(absl::StrCat("unwatch descriptor ", fd, ": epoll_ctl(DEL)"), errno);
    spdlog::error("event loop: {} (closed before it was unwatched: a bug)",
                  std::string(status.message()));
    return status;
  }
  return absl::OkStatus();
}

EventLoop::TimerId EventLoop::RunAfter(std::chrono::milliseconds delay, Task task) {
  TimerId id = next_timer_id_++;
  Clock::time_point due = Clock::now() + delay;
  timers_.emplace(std::make_pair(due, id), std::move(task));
  timer_due_.emplace(id, due);
  return id;
}

void EventLoop::Cancel(TimerId id) {
  auto it = timer_due_.find(id);
  if (it == timer_due_.end()) return;
  timers_.erase({it->second, id});
  timer_due_.erase(it);
}

int EventLoop::NextTimeoutMs() const {
  if (timers_.empty()) return -1;
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first.first - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

void EventLoop::RunDueTimers() {
  Clock::time_point now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_due_.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::RunQueuedTasks() {
  uint64_t ignored;
  (void)!::read(wakeup_.get(), &ignored, sizeof ignored);
  std::vector<Task> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(queued_);
    if (quit_requested_) quit_ = true;
  }
  for (Task& task : tasks) task();
}

}  // namespace corral::agent
