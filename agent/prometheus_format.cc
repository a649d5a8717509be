#include "agent/prometheus_format.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "servers/server_kinds.h"
#include "spec/spec_kinds.h"

namespace corral::agent {
namespace {

std::string Labels(const v1::ServerStats& s) {
  std::string protocol = "unknown", model = "unknown";
  if (auto p = spec::ProtocolFromProto(s.protocol()); p) protocol = std::string(ProtocolName(*p));
  if (auto m = spec::ModelFromProto(s.model()); m) model = std::string(ModelName(*m));
  return absl::StrCat("server=\"", EscapeLabelValue(s.name()), "\",protocol=\"", protocol,
                      "\",model=\"", model, "\"");
}

// Prometheus parses Go floats; 15 significant digits print bucket bounds and sums exactly
// enough and without binary noise ("0.001007615", not "0.0010076149999999999").
std::string Number(double v) { return absl::StrFormat("%.15g", v); }
std::string Number(uint64_t v) { return absl::StrCat(v); }

struct Family {
  const char* name;
  const char* type;  // "counter" or "gauge"
  const char* help;
  std::function<double(const v1::ServerStats&)> value;
  // Whether the series exists for this server (scoreboard or process figures may be missing).
  std::function<bool(const v1::ServerStats&)> present;
};

bool HasBoard(const v1::ServerStats& s) { return s.scoreboard_available(); }
bool HasProcess(const v1::ServerStats& s) { return s.has_process(); }
bool Always(const v1::ServerStats&) { return true; }

const std::vector<Family>& Families() {
  static const std::vector<Family> kFamilies = {
      {"corral_server_up", "gauge", "1 when the server is RUNNING, else 0.",
       [](const auto& s) { return s.state() == v1::STATE_RUNNING ? 1.0 : 0.0; }, Always},
      {"corral_server_restarts_total", "counter", "Automatic respawns after unexpected exits.",
       [](const auto& s) { return double(s.restarts()); }, Always},
      {"corral_server_uptime_seconds", "gauge", "Seconds since the current process was spawned.",
       [](const auto& s) { return s.uptime_seconds(); }, Always},
      {"corral_connections_accepted_total", "counter", "TCP connections taken by a worker.",
       [](const auto& s) { return double(s.totals().connections_accepted()); }, HasBoard},
      {"corral_connections_closed_total", "counter", "Connections closed.",
       [](const auto& s) { return double(s.totals().connections_closed()); }, HasBoard},
      {"corral_connections_active", "gauge", "Connections open now.",
       [](const auto& s) { return double(s.active_connections()); }, HasBoard},
      {"corral_requests_total", "counter", "Requests answered.",
       [](const auto& s) { return double(s.totals().requests()); }, HasBoard},
      {"corral_received_bytes_total", "counter", "Bytes read from clients.",
       [](const auto& s) { return double(s.totals().bytes_in()); }, HasBoard},
      {"corral_sent_bytes_total", "counter", "Bytes written to clients.",
       [](const auto& s) { return double(s.totals().bytes_out()); }, HasBoard},
      {"corral_stalls_total", "counter",
       "Times a coroutine handler held its hub past the stall bound without yielding.",
       [](const auto& s) { return double(s.totals().stalls()); }, HasBoard},
      {"corral_workers_busy", "gauge", "Clients served now (connections open, or datagrams).",
       [](const auto& s) { return double(s.busy_workers()); }, HasBoard},
      {"corral_workers_idle", "gauge", "Started workers waiting for a client.",
       [](const auto& s) { return double(s.idle_workers()); }, HasBoard},
      {"corral_workers_cap", "gauge", "The most clients served at once (max_workers).",
       [](const auto& s) { return double(s.worker_cap()); }, HasBoard},
      {"corral_workers_left", "gauge", "Clients that would still be served at once (cap - busy).",
       [](const auto& s) { return double(s.workers_left()); }, HasBoard},
      {"corral_process_cpu_seconds_total", "counter",
       "CPU time of the server's process tree, exited descendants included.",
       [](const auto& s) { return s.process().cpu_seconds(); }, HasProcess},
      {"corral_process_resident_memory_bytes", "gauge",
       "Sum of the resident set sizes of the server's process tree.",
       [](const auto& s) { return double(s.process().rss_bytes()); }, HasProcess},
      {"corral_process_threads", "gauge", "OS threads in the server's process tree.",
       [](const auto& s) { return double(s.process().threads()); }, HasProcess},
      {"corral_process_open_fds", "gauge", "Open descriptors in the server's process tree.",
       [](const auto& s) { return double(s.process().open_fds()); }, HasProcess},
      {"corral_processes", "gauge", "Processes in the server's process tree.",
       [](const auto& s) { return double(s.process().processes()); }, HasProcess},
  };
  return kFamilies;
}

void RenderErrors(const std::vector<PrometheusServer>& servers, std::string& out) {
  absl::StrAppend(&out, "# HELP corral_errors_total Errors by kind.\n",
                  "# TYPE corral_errors_total counter\n");
  for (const PrometheusServer& p : servers) {
    if (!p.stats->scoreboard_available()) continue;
    const v1::StatsCounters& t = p.stats->totals();
    const std::pair<const char*, uint64_t> kinds[] = {
        {"timeout", t.errors_timeout()},
        {"reset", t.errors_reset()},
        {"protocol", t.errors_protocol()},
        {"refused_at_cap", t.errors_refused_at_cap()},
        {"header_timeout", t.errors_header_timeout()},
        {"body_timeout", t.errors_body_timeout()},
        {"refused_per_client", t.errors_refused_per_client()},
        {"dropped", t.errors_dropped()}};
    for (const auto& [kind, count] : kinds) {
      absl::StrAppend(&out, "corral_errors_total{", Labels(*p.stats), ",kind=\"", kind, "\"} ",
                      Number(count), "\n");
    }
  }
}

void RenderLatency(const std::vector<PrometheusServer>& servers, std::string& out) {
  const char* name = "corral_request_duration_seconds";
  absl::StrAppend(&out, "# HELP ", name, " Time to answer a request, seconds.\n", "# TYPE ", name,
                  " histogram\n");
  static const std::vector<uint64_t> bounds = PrometheusLatencyBoundsNs();
  for (const PrometheusServer& p : servers) {
    if (p.latency == nullptr) continue;
    std::string labels = Labels(*p.stats);
    for (uint64_t bound : bounds) {
      absl::StrAppend(&out, name, "_bucket{", labels, ",le=\"", Number(bound / 1e9), "\"} ",
                      Number(p.latency->CountAtOrBelow(bound)), "\n");
    }
    absl::StrAppend(&out, name, "_bucket{", labels, ",le=\"+Inf\"} ", Number(p.latency->count),
                    "\n");
    absl::StrAppend(&out, name, "_sum{", labels, "} ", Number(p.latency->sum_ns / 1e9), "\n");
    absl::StrAppend(&out, name, "_count{", labels, "} ", Number(p.latency->count), "\n");
  }
}

}  // namespace

std::vector<uint64_t> PrometheusLatencyBoundsNs() {
  // 10 us to 10 s, 1-2.5-5 per decade, each snapped up to a bucket bound (within 1/64).
  std::vector<uint64_t> bounds;
  for (uint64_t decade = 10'000; decade <= 10'000'000'000; decade *= 10) {
    for (uint64_t step : {decade, decade * 5 / 2, decade * 5}) {
      if (step > 10'000'000'000) break;
      bounds.push_back(stats::HistogramBuckets::SnapToUpperBound(step));
    }
  }
  return bounds;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderPrometheus(const std::vector<PrometheusServer>& servers) {
  std::string out;
  for (const Family& f : Families()) {
    absl::StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type, "\n");
    for (const PrometheusServer& p : servers) {
      if (!f.present(*p.stats)) continue;
      absl::StrAppend(&out, f.name, "{", Labels(*p.stats), "} ", Number(f.value(*p.stats)), "\n");
    }
  }
  RenderErrors(servers, out);
  RenderLatency(servers, out);
  return out;
}

}  // namespace corral::agent
