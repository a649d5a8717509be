// AgentLock: at most one corral-agent per home. An flock on `home/agent.lock`, held for the
// agent's lifetime and released by the kernel however the agent ends, so a crashed agent never
// leaves a stale lock behind.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::agent {

class AgentLock {
 public:
  // FAILED_PRECONDITION naming the running agent's pid when another agent holds the lock.
  static absl::StatusOr<AgentLock> Acquire(const std::string& home);

 private:
  explicit AgentLock(base::UniqueFd fd) : fd_(std::move(fd)) {}
  base::UniqueFd fd_;
};

}  // namespace corral::agent
