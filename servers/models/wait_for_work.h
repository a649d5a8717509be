// The blocking step shared by every accept and receive loop of the fork and thread models: wait
// until there is work, a worker finished, or the server is asked to stop.
#pragma once

#include "base/unique_fd.h"

namespace corral::models {

enum class Wake { kStop, kWork, kFinished, kTimeout };

// Polls `stop_fd`, `work_fd` and `finished_fd` (either of the last two may be -1) for up to
// `timeout_ms` (-1: no limit). Stop wins over work, work over finished. Retries EINTR.
Wake WaitForWork(int stop_fd, int work_fd, int finished_fd, int timeout_ms);

// Whether `fd` is readable now (a listener: a client waits to be accepted). Never waits.
bool IsReadable(int fd);

// Waits, for one of several workers sharing `work_fd` (pool workers on one listener or UDP
// socket), until there is work or the server is asked to stop. The descriptor is watched with
// EPOLLEXCLUSIVE, so work that arrives wakes one waiting worker rather than every one (each
// wake-up the others would take only to find the work gone costs a context switch); `stop_fd`
// still wakes all of them. Falls back to WaitForWork if epoll cannot be set up. Create it in
// the worker (after a fork): the epoll instance is the worker's own.
class SharedWorkWaiter {
 public:
  SharedWorkWaiter(int stop_fd, int work_fd);

  // kStop, kWork, or kTimeout after `timeout_ms` (-1: no limit). Stop wins over work.
  Wake Wait(int timeout_ms);

 private:
  const int stop_fd_;
  const int work_fd_;
  base::UniqueFd epoll_;  // invalid: fall back to poll
};

}  // namespace corral::models
