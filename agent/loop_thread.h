// LoopThread: an EventLoop running on a thread of its own, for work that may take a while and
// must not hold up the supervision loop (reading megabytes of a log for TailLogs). Like the
// supervision loop, it runs what is handed to it in order, one thing at a time.
//
// Threads: construct and destroy from one thread; loop().RunInLoop from any thread; the rest
// of EventLoop's API only from tasks running on this thread.
#pragma once

#include <thread>

#include "agent/event_loop.h"

namespace corral::agent {

class LoopThread {
 public:
  // Starts the thread.
  LoopThread();
  // Stops the loop and joins the thread. Tasks already queued may still run in the loop's
  // last round; timers that have not fired are dropped.
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  EventLoop& loop() { return loop_; }

 private:
  EventLoop loop_;
  std::thread thread_;
};

}  // namespace corral::agent
