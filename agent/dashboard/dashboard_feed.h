// DashboardFeed: what every open dashboard shows, taken once for all of them from the agent's
// own API (its unix socket, where the agent's user is an operator): one WatchStats stream of
// every server (fed by the agent's once-a-second sampling; no second sampler) and one
// WatchEvents stream (the event bus). Each stats message, joined with List for what stats lack
// (the reason of a BACKOFF or FATAL, the program), becomes one JSON array that every
// server-sent-event stream sends as is; each event becomes one JSON object. The last 10 minutes
// of each server's figures are kept for the charts (kHistoryPoints, one a second).
//
// Threads: two of its own (stats, events), each reconnecting after a failure. Every public
// method may be called from any thread. The destructor cancels both streams and joins them; the
// agent's gRPC server must still be serving then (main destroys the dashboard first).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/agent.grpc.pb.h"
#include "corral/v1/stats.grpc.pb.h"

namespace grpc {
class ClientContext;
}

namespace corral::agent::dashboard {

class DashboardFeed {
 public:
  static constexpr size_t kHistoryPoints = 600;  // 10 minutes at one a second
  static constexpr size_t kKeptEvents = 200;

  explicit DashboardFeed(const std::string& socket_path);
  ~DashboardFeed();

  // Stubs for the calls a page makes itself (actions, one server's workers and log). Any thread.
  v1::Agent::Stub& agent() { return *agent_; }
  v1::Stats::Stub& stats() { return *stats_; }

  // What a stream has not sent yet. `servers` is empty unless a newer table exists.
  struct Update {
    uint64_t generation = 0;
    uint64_t event_seq = 0;
    std::string servers;              // JSON array of rows
    std::vector<std::string> events;  // JSON objects, oldest first
  };
  // Waits up to `timeout` for a table newer than `generation` or an event after `event_seq`
  // (returns at once if there is one, and on shutdown). Pass 0, 0 for everything kept.
  Update WaitNewer(uint64_t generation, uint64_t event_seq, absl::Duration timeout);
  // JSON {"name":..., "points":[[t,rps,p50ms,p99ms,errs,cpu,rss_mib],...]}, oldest first.
  std::string HistoryJson(const std::string& name) const;
  bool stopping() const;
  // Ends both streams and wakes every WaitNewer; the destructor then only joins.
  void Stop();

 private:
  struct Point {
    double time, rps, p50_ms, p99_ms, errors, cpu, rss_mib;
  };
  void StatsLoop();
  void EventsLoop();
  void OnReport(const v1::StatsReport& report);
  // Waits `d` or until the destructor runs; false once stopping.
  bool Pause(absl::Duration d);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> agent_;
  std::unique_ptr<v1::Stats::Stub> stats_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* stats_call_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::ClientContext* events_call_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::string servers_ ABSL_GUARDED_BY(mu_) = "[]";
  uint64_t event_seq_ ABSL_GUARDED_BY(mu_) = 0;  // of the newest event kept
  std::deque<std::string> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<Point>> history_ ABSL_GUARDED_BY(mu_);

  std::thread stats_thread_;
  std::thread events_thread_;
};

}  // namespace corral::agent::dashboard
