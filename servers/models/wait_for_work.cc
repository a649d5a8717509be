#include "servers/models/wait_for_work.h"

#include <poll.h>
#include <sys/epoll.h>

#include <cerrno>

namespace corral::models {

Wake WaitForWork(int stop_fd, int work_fd, int finished_fd, int timeout_ms) {
  pollfd fds[3] = {{stop_fd, POLLIN, 0}, {work_fd, POLLIN, 0}, {finished_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 3, timeout_ms);  // poll ignores entries whose fd is -1
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Wake::kTimeout;
    if (fds[0].revents != 0) return Wake::kStop;
    if (fds[1].revents != 0) return Wake::kWork;
    return Wake::kFinished;
  }
}

bool IsReadable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0;
}

SharedWorkWaiter::SharedWorkWaiter(int stop_fd, int work_fd)
    : stop_fd_(stop_fd), work_fd_(work_fd), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  epoll_event stop{.events = EPOLLIN, .data = {.fd = stop_fd}};
  epoll_event work{.events = EPOLLIN | EPOLLEXCLUSIVE, .data = {.fd = work_fd}};
  if (epoll_ && (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, stop_fd, &stop) != 0 ||
                 ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, work_fd, &work) != 0)) {
    epoll_.Reset();
  }
}

Wake SharedWorkWaiter::Wait(int timeout_ms) {
  if (!epoll_) return WaitForWork(stop_fd_, work_fd_, -1, timeout_ms);
  epoll_event events[2];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Wake::kTimeout;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == stop_fd_) return Wake::kStop;
    }
    return Wake::kWork;
  }
}

}  // namespace corral::models
