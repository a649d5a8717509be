// ThreadWorkers: a thread per unit of work, as Python's ThreadingMixIn, from a thread cache as
// Java's cached thread pool: a thread whose unit has ended parks for a while and takes the next
// unit, so a unit does not pay for creating a thread (tens of microseconds on a VM whose every
// fresh stack page faults expensively). Each unit still has its own thread for its whole run;
// how many run at once is bounded only by the caller (max_workers), and so is the number of
// parked threads. The thread model runs a datagram or a pool worker's loop this way; its
// connections get threads that accept for themselves (thread_model.cc).
#pragma once

#include <cstddef>
#include <memory>

#include "servers/models/cuttable_connections.h"
#include "servers/models/workers.h"

namespace corral::models {

class ThreadWorkers final : public Workers {
 public:
  // finished_fd() becomes readable only for a unit that ends while `cap` or more were active:
  // a caller that stops launching at `cap` waits for exactly those ends, and every other end
  // would only wake it for nothing. 0 signals every end.
  //
  // `self_registered` holds the connections that units accept and register themselves (pool
  // workers); a drain's cut shuts those down too, besides the handed-off descriptors.
  explicit ThreadWorkers(size_t cap = 0,
                         std::shared_ptr<CuttableConnections> self_registered = nullptr);
  // Drains with an immediate deadline if the caller did not, and waits for parked threads to
  // exit. A unit still running after the drain's grace keeps only the shared state it needs
  // alive, never this object, and its thread exits when the unit ends.
  ~ThreadWorkers() override;
  ThreadWorkers(const ThreadWorkers&) = delete;
  ThreadWorkers& operator=(const ThreadWorkers&) = delete;

  // Hands `work` to a parked thread if one is waiting, else starts a thread.
  bool Launch(int handoff_fd, std::function<void()> work) override;
  // Units launched and not yet ended; parked threads are not counted.
  size_t active() const override;
  int finished_fd() const override;
  void Collect() override;
  // Also makes parked threads exit; from here on a thread exits when its unit ends. A second
  // call (the destructor's, after the owner drained) cuts nothing again: it only waits for
  // parked threads to leave and returns how many units still run.
  size_t Drain(net::Deadline deadline) override;

 private:
  struct Shared;  // what threads reference, so that none of them touches this object
  std::shared_ptr<Shared> shared_;
};

}  // namespace corral::models
