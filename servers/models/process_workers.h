// ProcessWorkers: a forked child process per unit of work, as Python's ForkingMixIn. Children
// are reaped from the server's loop through a SIGCHLD signalfd (never a busy wait), so there
// are never zombies, and each child asks the kernel to SIGKILL it if the server dies, so none
// outlives the server.
//
// Requires SIGCHLD to be blocked in every thread (corral-server's main does this) and a server
// with no other threads, since only the forking thread survives in a child.
#pragma once

#include <sys/types.h>

#include <unordered_set>

#include "base/unique_fd.h"
#include "servers/models/workers.h"

namespace corral::models {

class ProcessWorkers final : public Workers {
 public:
  // `in_child` runs in each child before its work (to close what the child must not hold,
  // such as the listening socket); `on_reaped` runs in the server for each child reaped.
  // `on_reaped` gets the child's pid and raw wait status.
  ProcessWorkers(std::function<void()> in_child, std::function<void(pid_t, int)> on_reaped);
  ~ProcessWorkers() override;

  bool Launch(int handoff_fd, std::function<void()> work) override;
  size_t active() const override { return children_.size(); }
  int finished_fd() const override { return sigchld_.get(); }
  void Collect() override;
  size_t Drain(net::Deadline deadline) override;

 private:
  // Waits for children until `deadline` or none is left; true when none is.
  bool WaitChildren(net::Deadline deadline);

  std::function<void()> in_child_;
  std::function<void(pid_t, int)> on_reaped_;
  base::UniqueFd sigchld_;  // signalfd for SIGCHLD
  pid_t parent_;
  std::unordered_set<pid_t> children_;
};

}  // namespace corral::models
