// ChildReaper: waits for helper processes whose exit status nobody needs (the per-server
// corral-logger), so they never linger as zombies. Loop thread only; it owns the pidfds it is
// given and must outlive none of them: the destructor stops watching (the processes live on).
#pragma once

#include <map>

#include "agent/event_loop.h"
#include "base/unique_fd.h"

namespace corral::agent {

class ChildReaper {
 public:
  explicit ChildReaper(EventLoop& loop) : loop_(loop) {}
  ~ChildReaper();
  ChildReaper(const ChildReaper&) = delete;
  ChildReaper& operator=(const ChildReaper&) = delete;

  // Reaps the child behind `pidfd` once it exits.
  void Reap(base::UniqueFd pidfd);

 private:
  EventLoop& loop_;
  std::map<int, base::UniqueFd> children_;
};

}  // namespace corral::agent
