// Sampling the live figures of the servers the agent runs: each server's scoreboard (through
// stats::StatsSampler: counts, rates, gauges, latency), its process tree from /proc (CPU, RSS,
// threads, descriptors) and the supervisor's record (state, restarts, uptime), into one
// v1::ServerStats.
//
// A sampler remembers its previous read, so rates and CPU% cover the time since then: each
// consumer (GetStats, each WatchStats stream, the metrics endpoint) keeps its own. Not
// thread-safe; the agent uses them in the loop thread only. Reads a few small files per call:
// call at the stats interval, never per request.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/procfs/proc_fs.h"
#include "corral/v1/server.pb.h"
#include "corral/v1/stats.pb.h"
#include "servers/stats/histogram.h"
#include "servers/stats/interval.h"
#include "servers/stats/snapshot.h"
#include "servers/stats/stats_sampler.h"

namespace corral::agent {

// HOME/servers/NAME/scoreboard: where the spawner tells corral-server to create its scoreboard.
std::string ScoreboardPath(const std::string& home, const std::string& name);

// The scoreboard part of a ServerStats (listener state, interval, totals, rates, gauges,
// latency, and the workers when `per_worker`). Pure.
void FillScoreboardStats(const stats::IntervalStats& interval, const stats::Snapshot& snapshot,
                         bool per_worker, v1::ServerStats* out);

// The supervision part (name, state, protocol, model, address, pid, restarts, uptime). Pure.
void FillServerRecord(const v1::Server& server, absl::Time now, v1::ServerStats* out);

// Successive samples of one server.
class ServerStatsSampler {
 public:
  ServerStatsSampler(std::string scoreboard_path, const procfs::ProcFs& fs)
      : scoreboard_(std::move(scoreboard_path)), fs_(fs) {}

  // Everything about `server` now. Never fails: a missing scoreboard or process leaves those
  // parts empty (scoreboard_available false, process unset); an untrustworthy scoreboard file
  // sets scoreboard_invalid, with the reason in unavailable_reason.
  v1::ServerStats Sample(const v1::Server& server, absl::Time now, bool per_worker);

  // Latency since the server started, from the last successful scoreboard read; null before
  // one. For histogram exports (Prometheus), which the proto does not carry.
  const stats::HistogramSnapshot* lifetime_latency() const;

 private:
  void SampleProcess(pid_t pid, double uptime_seconds, absl::Time now, v1::ServerStats* out);

  stats::StatsSampler scoreboard_;
  const procfs::ProcFs& fs_;
  // The previous CPU reading, for CPU%: of which process, how much, when.
  pid_t cpu_pid_ = 0;
  double cpu_seconds_ = 0;
  absl::Time cpu_time_;
};

// One sampler per server for one consumer: samples a list of servers, creating samplers for
// new names and forgetting the ones no longer listed.
class ServerStatsSamplers {
 public:
  ServerStatsSamplers(std::string home, const procfs::ProcFs& fs)
      : home_(std::move(home)), fs_(fs) {}

  // `servers` in the order given. Samplers of servers not in `servers` are dropped only when
  // `complete` (the list is every server), so sampling one server keeps the others' state.
  std::vector<v1::ServerStats> Sample(const std::vector<v1::Server>& servers, bool complete,
                                      bool per_worker);

  // The sampler of `name`, if it has been sampled.
  const ServerStatsSampler* Find(const std::string& name) const;

 private:
  const std::string home_;
  const procfs::ProcFs& fs_;
  std::map<std::string, std::unique_ptr<ServerStatsSampler>> samplers_;
};

}  // namespace corral::agent
