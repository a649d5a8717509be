#include "agent/child_reaper.h"

#include <sys/epoll.h>
#include <sys/wait.h>

#include "spdlog/spdlog.h"

namespace corral::agent {

ChildReaper::~ChildReaper() {
  for (auto& [fd, pidfd] : children_) (void)loop_.Unwatch(fd);  // logs its own error
}

void ChildReaper::Reap(base::UniqueFd pidfd) {
  int fd = pidfd.get();
  if (fd < 0) return;
  absl::Status watched = loop_.Watch(fd, EPOLLIN, [this, fd](uint32_t) {
    siginfo_t info{};
    if (::waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG) == 0 && info.si_pid == 0) return;
    (void)loop_.Unwatch(fd);  // logs its own error
    children_.erase(fd);
  });
  if (!watched.ok()) {
    // Nothing would ever reap it; say so rather than leave a silent zombie.
    spdlog::error("reap helper process: {}; it will remain a zombie once it exits",
                  std::string(watched.message()));
    return;  // closes the pidfd
  }
  children_.emplace(fd, std::move(pidfd));
}

}  // namespace corral::agent
