// Sampling the live figures of the servers the agent runs: each server's scoreboard (through
// stats::StatsSampler: counts, rates, gauges, latency), its process tree from /proc (CPU, RSS,
// threads, descriptors) and the supervisor's record (state, restarts, uptime), into one
// v1::ServerStats.
//
// The agent samples every server once a second (and on demand when a consumer wants fresher
// counts) and keeps a short history, so rates and CPU% are those of the last second (or of a
// watch's interval), never averages since the previous call or the server's start. Not
// thread-safe; the agent uses it in the loop thread only.
#pragma once

#include <sys/types.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
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

// One reading of one server: its scoreboard and its process tree at one instant.
struct ServerSample {
  int64_t monotonic_ns = 0;  // CLOCK_MONOTONIC when taken
  pid_t pid = 0;             // the server process sampled, 0 when none ran
  // The scoreboard, when it could be read; otherwise why not (DataLoss: it cannot be trusted).
  std::optional<stats::Snapshot> scoreboard;
  absl::Status scoreboard_status;
  // The process tree (cpu_percent unset: it needs two samples); unset when none was measured.
  std::optional<v1::ProcessUsage> process;
};

// How long "now" is: GetStats, the first message of a watch and the metrics endpoint give
// rates over (about) the last kRateWindow.
inline constexpr absl::Duration kRateWindow = absl::Seconds(1);

// Everything about `server` over the span from `base` to `cur` (rates, interval latency, CPU%),
// with gauges and totals as of `cur`. A null `base` (the first sample) gives rates only for a
// server at most 2 kRateWindow old, never a lifetime average. Pure.
v1::ServerStats StatsBetween(const v1::Server& server, const ServerSample* base,
                             const ServerSample& cur, absl::Time now, bool per_worker);

// The recent samples of one server, newest last, kept for a little more than kRateWindow.
// Not thread-safe: the agent uses it in the loop thread only. Samples are shared (read-only)
// with consumers that keep one as the base of their next interval (a WatchStats stream).
class ServerHistory {
 public:
  ServerHistory(std::string scoreboard_path, const procfs::ProcFs& fs)
      : scoreboard_(std::move(scoreboard_path)), fs_(fs) {}

  // Reads the scoreboard and `server`'s process tree now, and keeps the sample. Cheap: one
  // pread per owned slot and a few small /proc files. Never fails (see ServerSample).
  std::shared_ptr<const ServerSample> Sample(const v1::Server& server);

  // The newest sample, first taking one when there is none or the newest is older than
  // `max_age` (so a consumer sees counts no older than that).
  std::shared_ptr<const ServerSample> Fresh(const v1::Server& server, absl::Duration max_age);

  // The newest kept sample taken at least `span` before `cur`, else the oldest kept one; null
  // when `cur` is the only one.
  std::shared_ptr<const ServerSample> Before(const ServerSample& cur, absl::Duration span) const;

  // The stats over about the last kRateWindow, ending with a sample at most 100 ms old.
  v1::ServerStats Recent(const v1::Server& server, absl::Time now, bool per_worker);

  // Latency since the server started, from the newest sample; null without a scoreboard. For
  // histogram exports (Prometheus), which the proto does not carry.
  const stats::HistogramSnapshot* lifetime_latency() const;

 private:
  stats::StatsSampler scoreboard_;
  const procfs::ProcFs& fs_;
  std::deque<std::shared_ptr<const ServerSample>> samples_;
};

// The histories of every server, sampled together once a second by the agent's loop (one
// sampler serves GetStats, every WatchStats stream and the metrics endpoint). Loop thread only.
class StatsHistory {
 public:
  StatsHistory(std::string home, const procfs::ProcFs& fs) : home_(std::move(home)), fs_(fs) {}

  // Samples each of `servers`, which is the complete list: histories of servers no longer in it
  // are dropped.
  void SampleAll(const std::vector<v1::Server>& servers);

  // The history of `name`, created empty when it has none yet. A server with several
  // instances has one history per instance, under "NAME#INDEX" (instance_stats.h).
  ServerHistory& Of(const std::string& name);
  ServerHistory& Of(const std::string& key, const std::string& scoreboard_path);

  // Where `server`'s scoreboards are (one, or one per instance): see StatsUnitsOf.
  const std::string& home() const { return home_; }

  // Stats over about the last kRateWindow for each of `servers`, in that order.
  std::vector<v1::ServerStats> Recent(const std::vector<v1::Server>& servers, bool per_worker);

 private:
  const std::string home_;
  const procfs::ProcFs& fs_;
  std::map<std::string, std::unique_ptr<ServerHistory>> servers_;
};

}  // namespace corral::agent
