// ThreadWorkers: a detached thread per unit of work, as Python's ThreadingMixIn.
#pragma once

#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include "servers/models/workers.h"
#include "servers/net/unique_fd.h"

namespace corral::models {

class ThreadWorkers final : public Workers {
 public:
  ThreadWorkers();
  // Drains with an immediate deadline if the caller did not: threads must not outlive the
  // state they reference.
  ~ThreadWorkers() override;

  bool Launch(int handoff_fd, std::function<void()> work) override;
  size_t active() const override;
  int finished_fd() const override { return finished_.get(); }
  void Collect() override;
  void Drain(net::Deadline deadline) override;

 private:
  // Closes the worker's descriptor and counts it out, under the lock, so a drain never shuts
  // down a descriptor number that was closed and reused meanwhile.
  void Finished(int handoff_fd);

  net::UniqueFd finished_;  // eventfd, written as each thread ends

  mutable std::mutex mu_;
  std::condition_variable none_active_;
  size_t active_ = 0;                // guarded by mu_
  std::unordered_set<int> handoff_fds_;  // guarded by mu_
};

}  // namespace corral::models
