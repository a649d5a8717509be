// Workers: how the fork and thread models run a unit of work (one connection, one datagram, or
// a pool worker's whole loop) in its own thread or process, count what runs, learn when a
// worker ends, and drain. ProcessWorkers (fork) and ThreadWorkers (thread) implement it, so the
// loops both models share (the pool's, worker_pool.h; one datagram a worker,
// receive_and_launch.h) are written once. The thread model's connections without a pool take
// another path (thread_model.cc): threads that accept for themselves need no launcher.
// Launching is once per unit, not per byte: the virtual calls cost nothing that matters.
//
// All methods are called from the server's main thread.
#pragma once

#include <cstddef>
#include <functional>

#include "servers/net/stream.h"

namespace corral::models {

class Workers {
 public:
  virtual ~Workers() = default;

  // Runs `work` in a new worker. `handoff_fd` (or -1) is a socket handed to the work: Launch
  // owns it from here on and closes it once the work is done (for a process, the server's copy
  // right after the fork), so the work only borrows it; a drain that runs out of time shuts it
  // down. Returns false when no worker could be started (the descriptor is closed then).
  virtual bool Launch(int handoff_fd, std::function<void()> work) = 0;

  // Workers started and not yet collected.
  virtual size_t active() const = 0;

  // A descriptor that becomes readable when a worker has ended (an implementation may leave out
  // ends that happen below the cap its caller stops launching at, since nobody waits for those);
  // Collect() then updates active() and makes it unreadable again.
  virtual int finished_fd() const = 0;
  virtual void Collect() = 0;

  // Asks running workers to stop taking new work (pool workers watch their stop descriptor;
  // forked ones get SIGTERM), waits for every worker until `deadline`, then ends the rest
  // (threads: their sockets are shut down; processes: SIGKILL) and waits a short grace.
  // Returns how many worker threads still run after it, and so may still use what their work
  // references (a process shares no memory: ProcessWorkers returns 0).
  virtual size_t Drain(net::Deadline deadline) = 0;
};

}  // namespace corral::models
