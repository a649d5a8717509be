#include "agent/server_stats.h"

#include <time.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "agent/instance_stats.h"
#include "agent/procfs/process_tree.h"
#include "servers/stats/error_kind.h"
#include "servers/stats/worker_state.h"

namespace corral::agent {
namespace {

void FillCounters(const stats::CounterSet& c, v1::StatsCounters* out) {
  out->set_connections_accepted(c.accepted);
  out->set_connections_closed(c.closed);
  out->set_requests(c.requests);
  out->set_bytes_in(c.bytes_in);
  out->set_bytes_out(c.bytes_out);
  out->set_errors_timeout(c.error(stats::ErrorKind::kTimeout));
  out->set_errors_reset(c.error(stats::ErrorKind::kReset));
  out->set_errors_protocol(c.error(stats::ErrorKind::kProtocol));
  out->set_errors_refused_at_cap(c.error(stats::ErrorKind::kRefusedAtCap));
  out->set_errors_header_timeout(c.error(stats::ErrorKind::kHeaderTimeout));
  out->set_errors_body_timeout(c.error(stats::ErrorKind::kBodyTimeout));
  out->set_errors_refused_per_client(c.error(stats::ErrorKind::kRefusedPerClient));
  out->set_errors_dropped(c.error(stats::ErrorKind::kDropped));
}

void FillLatency(const stats::LatencySummary& l, v1::LatencySummary* out) {
  out->set_count(l.count);
  out->set_mean_ns(l.mean_ns);
  out->set_p50_ns(l.p50_ns);
  out->set_p90_ns(l.p90_ns);
  out->set_p99_ns(l.p99_ns);
  out->set_p999_ns(l.p999_ns);
  out->set_max_ns(l.max_ns);
}

}  // namespace

std::string ScoreboardPath(const std::string& home, const std::string& name) {
  return absl::StrCat(home, "/servers/", name, "/scoreboard");
}

void FillScoreboardStats(const stats::IntervalStats& interval, const stats::Snapshot& snapshot,
                         bool per_worker, v1::ServerStats* out) {
  out->set_scoreboard_available(true);
  out->set_listener_state(std::string(stats::ListenerStateName(snapshot.listener_state)));
  out->set_interval_seconds(interval.seconds);
  out->set_restarted_in_interval(interval.restarted);
  FillCounters(snapshot.totals, out->mutable_totals());
  out->mutable_totals()->set_stalls(snapshot.listener_stalls);
  v1::StatsRates* rates = out->mutable_rates();
  rates->set_connections_accepted_per_second(interval.rates.accepted);
  rates->set_connections_closed_per_second(interval.rates.closed);
  rates->set_requests_per_second(interval.rates.requests);
  rates->set_bytes_in_per_second(interval.rates.bytes_in);
  rates->set_bytes_out_per_second(interval.rates.bytes_out);
  rates->set_errors_per_second(interval.rates.total_errors);
  out->set_active_connections(interval.active_connections);
  out->set_busy_workers(interval.busy_workers);
  out->set_idle_workers(interval.idle_workers);
  out->set_free_slots(interval.free_slots);
  out->set_worker_cap(interval.worker_cap);
  out->set_workers_left(interval.workers_left);
  FillLatency(interval.interval_latency, out->mutable_interval_latency());
  FillLatency(interval.lifetime_latency, out->mutable_lifetime_latency());
  if (!per_worker) return;
  for (size_t i = 0; i < snapshot.slots.size(); ++i) {
    const stats::SlotSnapshot& slot = snapshot.slots[i];
    v1::WorkerStats* worker = out->add_workers();
    worker->set_slot(slot.index);
    worker->set_pid(slot.owner_pid);
    worker->set_tid(slot.owner_tid);
    worker->set_state(std::string(stats::WorkerStateName(slot.state)));
    worker->set_owners(slot.claims);
    FillCounters(slot.counters, worker->mutable_counters());
    if (i < interval.slot_rates.size()) {
      worker->set_requests_per_second(interval.slot_rates[i].requests);
    }
  }
}

void FillServerRecord(const v1::Server& server, absl::Time now, v1::ServerStats* out) {
  out->set_name(server.spec().name());
  out->set_state(server.state());
  out->set_protocol(server.spec().protocol());
  out->set_model(server.spec().model());
  if (!server.spec().handler().empty()) {
    // Until the server's scoreboard says the name the plugin declares, its file's stem.
    out->set_handler(std::filesystem::path(server.spec().handler()).stem().string());
  }
  out->set_bound_address(server.bound_address());
  out->set_pid(server.pid());
  out->set_restarts(server.restarts());
  if (server.pid() != 0 && server.has_start_time()) {
    absl::Time started = absl::FromUnixSeconds(server.start_time().seconds()) +
                         absl::Nanoseconds(server.start_time().nanos());
    out->set_uptime_seconds(std::max(0.0, absl::ToDoubleSeconds(now - started)));
  }
}

v1::ServerStats StatsBetween(const v1::Server& server, const ServerSample* base,
                             const ServerSample& cur, absl::Time now, bool per_worker) {
  v1::ServerStats out;
  FillServerRecord(server, now, &out);
  if (server.spec().command_size() > 0) {
    // A command server's program keeps no scoreboard: say so rather than show zeros.
    out.set_unavailable_reason(
        "a command server keeps no scoreboard: connections, requests and latency are not "
        "measured; the process figures (CPU, memory, descriptors) are");
  } else if (cur.scoreboard.has_value()) {
    const stats::Snapshot& now_board = *cur.scoreboard;
    const stats::Snapshot* base_board =
        base != nullptr && base->scoreboard.has_value() ? &*base->scoreboard : nullptr;
    const double young = 2 * absl::ToDoubleSeconds(kRateWindow);
    stats::IntervalStats interval = base_board != nullptr
                                        ? stats::ComputeInterval(*base_board, now_board)
                                        : stats::ComputeFirst(now_board, young);
    FillScoreboardStats(interval, now_board, per_worker, &out);
    // A server run by a handler plugin writes the plugin's declared name as its protocol.
    if (!out.handler().empty()) out.set_handler(now_board.protocol);
  } else {
    out.set_unavailable_reason(std::string(cur.scoreboard_status.message()));
    // DataLoss: the file is there but cannot be trusted (see StatsSampler::Sample).
    out.set_scoreboard_invalid(absl::IsDataLoss(cur.scoreboard_status));
  }
  if (cur.process.has_value() && cur.pid == server.pid()) {
    v1::ProcessUsage* process = out.mutable_process();
    *process = *cur.process;
    // Over the span when both samples measured this process; the first covers its whole life.
    double seconds = out.uptime_seconds();
    double used = process->cpu_seconds();
    if (base != nullptr && base->process.has_value() && base->pid == cur.pid) {
      seconds = static_cast<double>(cur.monotonic_ns - base->monotonic_ns) / 1e9;
      used -= base->process->cpu_seconds();
    }
    if (seconds > 0 && used >= 0) process->set_cpu_percent(100.0 * used / seconds);
  }
  return out;
}

std::shared_ptr<const ServerSample> ServerHistory::Sample(const v1::Server& server) {
  auto sample = std::make_shared<ServerSample>();
  sample->pid = server.pid();
  if (server.spec().command_size() == 0) {
    absl::StatusOr<stats::Snapshot> read = scoreboard_.Read();
    if (read.ok()) {
      sample->scoreboard = *std::move(read);
    } else {
      sample->scoreboard_status = read.status();
    }
  }
  if (server.pid() != 0) {
    absl::StatusOr<procfs::TreeUsage> usage = procfs::MeasureProcessTree(fs_, server.pid());
    if (usage.ok()) {
      v1::ProcessUsage& process = sample->process.emplace();
      process.set_cpu_seconds(usage->total_cpu_seconds());
      process.set_rss_bytes(usage->rss_bytes);
      process.set_threads(usage->threads);
      process.set_open_fds(usage->open_fds);
      process.set_processes(static_cast<uint32_t>(usage->pids.size()));
    }
  }
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  sample->monotonic_ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  samples_.push_back(sample);
  // Keep one sample at least kRateWindow older than the newest (the base of "the last
  // second"), and nothing older than that; bounded in count should consumers sample often.
  constexpr size_t kMostKept = 64;
  const int64_t window_ns = absl::ToInt64Nanoseconds(kRateWindow);
  while (samples_.size() > 2 && (samples_.size() > kMostKept ||
                                 samples_[1]->monotonic_ns <= sample->monotonic_ns - window_ns)) {
    samples_.pop_front();
  }
  return sample;
}

std::shared_ptr<const ServerSample> ServerHistory::Fresh(const v1::Server& server,
                                                         absl::Duration max_age) {
  if (!samples_.empty()) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const int64_t now_ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    const std::shared_ptr<const ServerSample>& newest = samples_.back();
    if (now_ns - newest->monotonic_ns <= absl::ToInt64Nanoseconds(max_age) &&
        newest->pid == server.pid()) {
      return newest;
    }
  }
  return Sample(server);
}

std::shared_ptr<const ServerSample> ServerHistory::Before(const ServerSample& cur,
                                                          absl::Duration span) const {
  const int64_t limit = cur.monotonic_ns - absl::ToInt64Nanoseconds(span);
  std::shared_ptr<const ServerSample> found;
  for (const std::shared_ptr<const ServerSample>& s : samples_) {
    if (s.get() == &cur) break;
    if (found == nullptr || s->monotonic_ns <= limit) found = s;
  }
  return found;
}

v1::ServerStats ServerHistory::Recent(const v1::Server& server, absl::Time now, bool per_worker) {
  // A sample of the last tenth of a second stands for now; the base is the newest sample at
  // least 0.8 s older, so the span is about kRateWindow (a tick is due every kRateWindow).
  std::shared_ptr<const ServerSample> cur = Fresh(server, absl::Milliseconds(100));
  std::shared_ptr<const ServerSample> base = Before(*cur, kRateWindow * 0.8);
  return StatsBetween(server, base.get(), *cur, now, per_worker);
}

const stats::HistogramSnapshot* ServerHistory::lifetime_latency() const {
  if (samples_.empty() || !samples_.back()->scoreboard.has_value()) return nullptr;
  return &samples_.back()->scoreboard->latency;
}

void StatsHistory::SampleAll(const std::vector<v1::Server>& servers) {
  std::set<std::string> seen;
  for (const v1::Server& server : servers) {
    for (const StatsUnit& unit : StatsUnitsOf(home_, server)) {
      seen.insert(unit.key);
      Of(unit.key, unit.scoreboard_path).Sample(unit.view);
    }
  }
  std::erase_if(servers_, [&](const auto& e) { return !seen.contains(e.first); });
}

ServerHistory& StatsHistory::Of(const std::string& name) {
  return Of(name, ScoreboardPath(home_, name));
}

ServerHistory& StatsHistory::Of(const std::string& key, const std::string& scoreboard_path) {
  std::unique_ptr<ServerHistory>& history = servers_[key];
  if (history == nullptr) history = std::make_unique<ServerHistory>(scoreboard_path, fs_);
  return *history;
}

std::vector<v1::ServerStats> StatsHistory::Recent(const std::vector<v1::Server>& servers,
                                                  bool per_worker) {
  std::vector<v1::ServerStats> out;
  absl::Time now = absl::Now();
  for (const v1::Server& server : servers) {
    std::vector<v1::ServerStats> units;
    for (const StatsUnit& unit : StatsUnitsOf(home_, server)) {
      units.push_back(Of(unit.key, unit.scoreboard_path).Recent(unit.view, now, per_worker));
    }
    out.push_back(CombineUnitStats(server, std::move(units)));
  }
  return out;
}

}  // namespace corral::agent
