#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace corral::http {

// IdleConnections: the keep-alive connections of one HttpProtocol that are waiting for their
// client's next request, so that a drain can end them instead of sitting out its window with
// them and then cutting them (a keep-alive client is never told to leave otherwise: wrk counted
// 1,000+ socket errors per restart).
//
// A drain (BeginDrain) first only marks itself: each connection's next response says
// Connection: close (HttpConnection asks draining()), and the connection closes after it. A
// busy client's connection waits between two of its requests for a moment at a time, and
// closing it then would cut the request already on its way; so kSweepAfter later, when every
// busy connection has had its next response and left, the sweep ends the waits still going:
// their clients are really idle. It shuts down each one's reading side (shutdown(2) SHUT_RD),
// which wakes the read the connection is blocked in whatever the model (a thread in recv, a
// greenlet on its hub's epoll): the read returns what had already arrived, then end of stream,
// and the connection closes quietly. A wait that starts after the sweep is ended the same way
// at once. nginx closes idle keep-alive connections on a graceful stop likewise.
//
// Thread-safe. The lock is held for an O(1) link or unlink per wait, and by the sweep while it
// shuts the waiting sockets down, which also keeps it from shutting down a descriptor number
// closed and reused meanwhile (a connection leaves before its socket is closed).
class IdleConnections {
 public:
  // How long after BeginDrain the waits still going are ended.
  static constexpr std::chrono::milliseconds kSweepAfter{200};

  // One connection's wait for its next request: registered while it lives. Construct it right
  // before the blocking read and let it end right after (an exception, such as a greenlet's
  // kill, included), before the socket is closed.
  class Waiting {
   public:
    Waiting(IdleConnections& connections, int fd);
    ~Waiting();
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

   private:
    friend class IdleConnections;
    IdleConnections& connections_;
    const int fd_;
    bool linked_ = false;
    Waiting* prev_ = nullptr;
    Waiting* next_ = nullptr;
  };

  IdleConnections() = default;
  // Stops a pending sweep and waits for its thread.
  ~IdleConnections();
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  // Whether a drain has begun: every response from now on closes its connection.
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // Starts the drain, and a thread that sweeps the waits `sweep_after` from now. Idempotent;
  // any thread; does not block.
  void BeginDrain(std::chrono::milliseconds sweep_after = kSweepAfter);

 private:
  // Ends every wait now and every later one at its start.
  void Sweep();

  std::atomic<bool> draining_{false};
  absl::Mutex mu_;
  Waiting* first_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool swept_ ABSL_GUARDED_BY(mu_) = false;
  bool destroying_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sweeper_;  // started by the first BeginDrain
};

}  // namespace corral::http
