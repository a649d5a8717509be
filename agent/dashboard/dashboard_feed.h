// DashboardFeed: what every open dashboard shows, made once for all of them. The table comes
// from the agent's own once-a-second sampling, handed over by Publish (StatsService's sample
// observer): a WatchStats stream would make the agent sample again for it. Events come from one
// WatchEvents stream on the agent's own socket (where the agent's user is an operator), which
// also carries the calls a page makes (actions, workers, log). Each sample, with the servers'
// records (the reason of a BACKOFF or FATAL, the program), becomes one JSON array that every
// server-sent-event stream sends as is; each event becomes one JSON object. The last 10 minutes
// of each server's figures are kept for the charts (kHistoryPoints, one a second).
//
// Threads: two of its own (the table, built off the agent's loop; the events stream, which
// reconnects after a failure). Every public method may be called from any thread. The
// destructor cancels the stream and joins both; the agent's gRPC server must still be serving
// then (main destroys the dashboard first).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
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

  // One sample of every server (sorted by name) and their records. Copies and returns at once:
  // the table is built on the feed's thread, not the caller's (the agent's loop).
  void Publish(const std::vector<v1::Server>& servers, const v1::StatsReport& report);
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
  void TableLoop();
  void EventsLoop();
  void BuildTable(const std::vector<v1::Server>& servers, const v1::StatsReport& report);
  // Waits `d` or until the destructor runs; false once stopping.
  bool Pause(absl::Duration d);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> agent_;
  std::unique_ptr<v1::Stats::Stub> stats_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The newest sample not yet made into a table (an older one left waiting is replaced).
  std::optional<std::pair<std::vector<v1::Server>, v1::StatsReport>> pending_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* events_call_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::string servers_ ABSL_GUARDED_BY(mu_) = "[]";
  uint64_t event_seq_ ABSL_GUARDED_BY(mu_) = 0;  // of the newest event kept
  std::deque<std::string> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<Point>> history_ ABSL_GUARDED_BY(mu_);

  std::thread table_thread_;
  std::thread events_thread_;
};

}  // namespace corral::agent::dashboard
