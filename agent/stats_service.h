// StatsService: the corral.v1.Stats gRPC service (GetStats, WatchStats), and the text of the
// Prometheus endpoint. The loop thread samples every server's scoreboard and /proc once a
// second into one StatsHistory; each call is handed to the loop thread, which reads the
// supervisor's records (never from a gRPC thread) and the history there, then finishes or feeds
// the call; no gRPC thread blocks. GetStats and the metrics give rates over the last second; a
// WatchStats stream keeps the sample its previous message ended with, so each message covers
// its interval (the first, the last second), and has at most one message in flight: it samples
// again only once the previous message was written and the interval has passed, so a slow
// client costs no memory.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/caller_access.h"
#include "agent/event_loop.h"
#include "agent/procfs/proc_fs.h"
#include "agent/server_stats.h"
#include "agent/supervisor.h"
#include "corral/v1/stats.grpc.pb.h"

namespace corral::agent {

class StatsService final : public v1::Stats::CallbackService {
 public:
  // `loop` and `supervisor` must outlive the service (and the gRPC server that runs it).
  // `home` is the agent's home, where the scoreboards are (HOME/servers/NAME/scoreboard).
  // Every call needs the monitor role (`access`, which must outlive the service too).
  StatsService(EventLoop& loop, Supervisor& supervisor, std::string home,
               const CallerAccess& access);

  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest* request,
                                     v1::StatsReport* response) override;
  grpc::ServerWriteReactor<v1::StatsReport>* WatchStats(
      grpc::CallbackServerContext* context, const v1::WatchStatsRequest* request) override;

  // Called on the loop thread right after each once-a-second sample, with every server (sorted
  // by name) and its stats over the last second. A consumer that shows every server (the
  // dashboard) shares this sampling rather than asking for fresher samples of its own, as a
  // WatchStats stream would. Must not block. Loop thread (or before the loop runs); null clears.
  using SampleObserver =
      std::function<void(const std::vector<v1::Server>&, const v1::StatsReport&)>;
  void SetSampleObserver(SampleObserver observer) { observer_ = std::move(observer); }

  // The Prometheus exposition of every server. Any thread except the loop's: it waits for the
  // loop to sample (at most 5 s; then an empty exposition with a comment saying so).
  std::string RenderMetrics();

 private:
  struct Watch;
  void WatchTick(std::shared_ptr<Watch> watch);
  // Loop thread. The next message of `watch` for `servers`.
  std::vector<v1::ServerStats> WatchSample(Watch& watch, const std::vector<v1::Server>& servers);
  // Loop thread. The stats of `servers` from the samples SampleAll has just taken.
  std::vector<v1::ServerStats> JustSampled(const std::vector<v1::Server>& servers);
  // Loop thread. Samples every server, then again after kRateWindow, for as long as the loop runs.
  void SampleTick();
  // Loop thread. Every server (name empty, sorted by name) or the one named; NOT_FOUND.
  absl::StatusOr<std::vector<v1::Server>> ServersNamed(const std::string& name) const;

  EventLoop& loop_;
  Supervisor& supervisor_;
  const CallerAccess& access_;
  const std::string home_;
  const procfs::ProcFs fs_;
  // Loop thread only: every server sampled each kRateWindow (SampleTick), and on demand when a
  // consumer wants fresher counts. Serves GetStats, every watch and RenderMetrics.
  StatsHistory history_;
  SampleObserver observer_;  // loop thread only
};

}  // namespace corral::agent
