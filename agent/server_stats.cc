#include "agent/server_stats.h"

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

v1::ServerStats ServerStatsSampler::Sample(const v1::Server& server, absl::Time now,
                                           bool per_worker) {
  v1::ServerStats out;
  FillServerRecord(server, now, &out);
  if (server.spec().command_size() > 0) {
    // A command server's program keeps no scoreboard: say so rather than show zeros.
    out.set_unavailable_reason(
        "a command server keeps no scoreboard: connections, requests and latency are not "
        "measured; the process figures (CPU, memory, descriptors) are");
    if (server.pid() != 0) SampleProcess(server.pid(), out.uptime_seconds(), now, &out);
    return out;
  }
  absl::StatusOr<stats::IntervalStats> interval = scoreboard_.Sample();
  if (interval.ok()) {
    FillScoreboardStats(*interval, *scoreboard_.last(), per_worker, &out);
    // A server run by a handler plugin writes the plugin's declared name as its protocol.
    if (!out.handler().empty()) out.set_handler(scoreboard_.last()->protocol);
  } else {
    out.set_unavailable_reason(std::string(interval.status().message()));
    // DataLoss: the file is there but cannot be trusted (see StatsSampler::Sample).
    out.set_scoreboard_invalid(absl::IsDataLoss(interval.status()));
  }
  if (server.pid() != 0) SampleProcess(server.pid(), out.uptime_seconds(), now, &out);
  return out;
}

void ServerStatsSampler::SampleProcess(pid_t pid, double uptime_seconds, absl::Time now,
                                       v1::ServerStats* out) {
  absl::StatusOr<procfs::TreeUsage> usage = procfs::MeasureProcessTree(fs_, pid);
  if (!usage.ok()) {
    cpu_pid_ = 0;
    return;
  }
  v1::ProcessUsage* process = out->mutable_process();
  double cpu = usage->total_cpu_seconds();
  process->set_cpu_seconds(cpu);
  process->set_rss_bytes(usage->rss_bytes);
  process->set_threads(usage->threads);
  process->set_open_fds(usage->open_fds);
  process->set_processes(static_cast<uint32_t>(usage->pids.size()));
  // The first reading of a process covers its whole life; later ones the time since the last.
  double seconds = uptime_seconds;
  double used = cpu;
  if (cpu_pid_ == pid) {
    seconds = absl::ToDoubleSeconds(now - cpu_time_);
    used = cpu - cpu_seconds_;
  }
  if (seconds > 0 && used >= 0) process->set_cpu_percent(100.0 * used / seconds);
  cpu_pid_ = pid;
  cpu_seconds_ = cpu;
  cpu_time_ = now;
}

const stats::HistogramSnapshot* ServerStatsSampler::lifetime_latency() const {
  return scoreboard_.last().has_value() ? &scoreboard_.last()->latency : nullptr;
}

std::vector<v1::ServerStats> ServerStatsSamplers::Sample(const std::vector<v1::Server>& servers,
                                                         bool complete, bool per_worker) {
  std::vector<v1::ServerStats> out;
  std::set<std::string> seen;
  absl::Time now = absl::Now();
  for (const v1::Server& server : servers) {
    const std::string& name = server.spec().name();
    seen.insert(name);
    if (server.instances_size() > 1) {
      // Each instance has its own scoreboard and sampler; the server's figures are their sum.
      std::vector<v1::ServerStats> samples;
      for (const v1::Instance& instance : server.instances()) {
        const std::string key = absl::StrCat(name, "#", instance.index());
        seen.insert(key);
        std::unique_ptr<ServerStatsSampler>& sampler = samplers_[key];
        if (sampler == nullptr) {
          sampler = std::make_unique<ServerStatsSampler>(
              InstanceScoreboardPath(home_, name, instance.index()), fs_);
        }
        samples.push_back(sampler->Sample(InstanceView(server, instance), now, per_worker));
      }
      out.push_back(SumInstanceStats(server, std::move(samples)));
      continue;
    }
    std::unique_ptr<ServerStatsSampler>& sampler = samplers_[name];
    if (sampler == nullptr) {
      sampler = std::make_unique<ServerStatsSampler>(ScoreboardPath(home_, name), fs_);
    }
    out.push_back(sampler->Sample(server, now, per_worker));
  }
  if (complete) std::erase_if(samplers_, [&](const auto& e) { return !seen.contains(e.first); });
  return out;
}

const ServerStatsSampler* ServerStatsSamplers::Find(const std::string& name) const {
  auto it = samplers_.find(name);
  return it == samplers_.end() ? nullptr : it->second.get();
}

}  // namespace corral::agent
