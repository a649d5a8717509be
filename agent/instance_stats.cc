#include "agent/instance_stats.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/server_stats.h"

namespace corral::agent {
namespace {

void AddCounters(const v1::StatsCounters& in, v1::StatsCounters* out) {
  // Every field of StatsCounters is a uint64 count: add them all through reflection, so a
  // counter added later is summed too.
  const google::protobuf::Reflection* reflection = in.GetReflection();
  const google::protobuf::Descriptor* descriptor = in.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_UINT64) continue;
    reflection->SetUInt64(out, field,
                          reflection->GetUInt64(*out, field) + reflection->GetUInt64(in, field));
  }
}

void AddRates(const v1::StatsRates& in, v1::StatsRates* out) {
  const google::protobuf::Reflection* reflection = in.GetReflection();
  const google::protobuf::Descriptor* descriptor = in.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) continue;
    reflection->SetDouble(out, field,
                          reflection->GetDouble(*out, field) + reflection->GetDouble(in, field));
  }
}

// Percentiles cannot be summed: the merged one is the worst instance's, an upper bound.
void MergeLatency(const v1::LatencySummary& in, v1::LatencySummary* out) {
  const uint64_t count = out->count() + in.count();
  if (count == 0) return;
  out->set_mean_ns((out->mean_ns() * static_cast<double>(out->count()) +
                    in.mean_ns() * static_cast<double>(in.count())) /
                   static_cast<double>(count));
  out->set_count(count);
  out->set_p50_ns(std::max(out->p50_ns(), in.p50_ns()));
  out->set_p90_ns(std::max(out->p90_ns(), in.p90_ns()));
  out->set_p99_ns(std::max(out->p99_ns(), in.p99_ns()));
  out->set_p999_ns(std::max(out->p999_ns(), in.p999_ns()));
  out->set_max_ns(std::max(out->max_ns(), in.max_ns()));
}

void AddProcess(const v1::ProcessUsage& in, v1::ProcessUsage* out) {
  out->set_cpu_seconds(out->cpu_seconds() + in.cpu_seconds());
  out->set_cpu_percent(out->cpu_percent() + in.cpu_percent());
  out->set_rss_bytes(out->rss_bytes() + in.rss_bytes());
  out->set_threads(out->threads() + in.threads());
  out->set_open_fds(out->open_fds() + in.open_fds());
  out->set_processes(out->processes() + in.processes());
}

}  // namespace

std::string InstanceScoreboardPath(const std::string& home, const std::string& name,
                                   uint32_t index) {
  if (index == 0) return ScoreboardPath(home, name);
  return absl::StrCat(home, "/servers/", name, "/instance-", index, "/scoreboard");
}

v1::Server InstanceView(const v1::Server& server, const v1::Instance& instance) {
  v1::Server view = server;
  view.clear_instances();
  view.set_state(instance.state());
  view.set_pid(instance.pid());
  view.set_restarts(instance.restarts());
  if (instance.has_start_time()) {
    *view.mutable_start_time() = instance.start_time();
  } else {
    view.clear_start_time();
  }
  if (!instance.ready()) view.clear_bound_address();
  return view;
}

v1::ServerStats SumInstanceStats(const v1::Server& server, std::vector<v1::ServerStats> samples) {
  v1::ServerStats out;
  FillServerRecord(server, absl::Now(), &out);
  for (v1::ServerStats& sample : samples) {
    if (sample.scoreboard_available()) {
      out.set_scoreboard_available(true);
      // The listener's state of the first instance that has one; they share the sockets.
      if (out.listener_state().empty()) out.set_listener_state(sample.listener_state());
      if (!sample.handler().empty()) out.set_handler(sample.handler());
      out.set_interval_seconds(std::max(out.interval_seconds(), sample.interval_seconds()));
      out.set_restarted_in_interval(out.restarted_in_interval() || sample.restarted_in_interval());
      AddCounters(sample.totals(), out.mutable_totals());
      AddRates(sample.rates(), out.mutable_rates());
      out.set_active_connections(out.active_connections() + sample.active_connections());
      out.set_busy_workers(out.busy_workers() + sample.busy_workers());
      out.set_idle_workers(out.idle_workers() + sample.idle_workers());
      out.set_free_slots(out.free_slots() + sample.free_slots());
      out.set_worker_cap(out.worker_cap() + sample.worker_cap());
      out.set_workers_left(out.workers_left() + sample.workers_left());
      MergeLatency(sample.interval_latency(), out.mutable_interval_latency());
      MergeLatency(sample.lifetime_latency(), out.mutable_lifetime_latency());
      for (const v1::WorkerStats& worker : sample.workers()) *out.add_workers() = worker;
    } else if (out.unavailable_reason().empty()) {
      out.set_unavailable_reason(sample.unavailable_reason());
    }
    out.set_scoreboard_invalid(out.scoreboard_invalid() || sample.scoreboard_invalid());
    if (sample.has_process()) AddProcess(sample.process(), out.mutable_process());
    *out.add_instances() = std::move(sample);
  }
  // Available when any instance's is: the others' reasons stay in their own entries.
  if (out.scoreboard_available()) out.clear_unavailable_reason();
  return out;
}

std::vector<StatsUnit> StatsUnitsOf(const std::string& home, const v1::Server& server) {
  const std::string& name = server.spec().name();
  if (server.instances_size() <= 1) return {{name, ScoreboardPath(home, name), server}};
  std::vector<StatsUnit> units;
  for (const v1::Instance& instance : server.instances()) {
    units.push_back({absl::StrCat(name, "#", instance.index()),
                     InstanceScoreboardPath(home, name, instance.index()),
                     InstanceView(server, instance)});
  }
  return units;
}

v1::ServerStats CombineUnitStats(const v1::Server& server, std::vector<v1::ServerStats> units) {
  if (units.size() == 1) return std::move(units.front());
  return SumInstanceStats(server, std::move(units));
}

}  // namespace corral::agent
