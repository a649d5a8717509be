#include "agent/child_reaper.h"

#include <sys/epoll.h>
#include <sys/wait.h>

namespace corral::agent {

ChildReaper::~ChildReaper() {
  for (auto& [fd, pidfd] : children_) loop_.Unwatch(fd);
}

void ChildReaper::Reap(net::UniqueFd pidfd) {
  int fd = pidfd.get();
  if (fd < 0) return;
  children_.emplace(fd, std::move(pidfd));
  loop_.Watch(fd, EPOLLIN, [this, fd](uint32_t) {
    siginfo_t info{};
    if (::waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG) == 0 && info.si_pid == 0) return;
    loop_.Unwatch(fd);
    children_.erase(fd);
  });
}

}  // namespace corral::agent
