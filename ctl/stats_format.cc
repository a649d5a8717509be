#include "ctl/stats_format.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ctl/server_format.h"

namespace corral::ctl {
namespace {

std::string Uptime(const v1::ServerStats& s) {
  return s.pid() == 0 ? "-" : ShortDuration(absl::Seconds(s.uptime_seconds()));
}

std::string Address(const v1::ServerStats& s) {
  return s.bound_address().empty() ? "-" : s.bound_address();
}

std::string CpuPercent(const v1::ServerStats& s) {
  return s.has_process() ? absl::StrFormat("%.1f", s.process().cpu_percent()) : "-";
}

std::string Rss(const v1::ServerStats& s) {
  return s.has_process() ? HumanBytes(double(s.process().rss_bytes())) : "-";
}

// The columns aligned, two spaces apart, trailing blanks removed.
std::vector<std::string> AlignColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StripTrailingAsciiWhitespace(&line);
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string LatencyLine(const v1::LatencySummary& l) {
  if (l.count() == 0) return "no requests";
  return absl::StrCat("p50 ", HumanNanos(l.p50_ns()), "  p90 ", HumanNanos(l.p90_ns()), "  p99 ",
                      HumanNanos(l.p99_ns()), "  p99.9 ", HumanNanos(l.p999_ns()), "  max ",
                      HumanNanos(l.max_ns()), "  (", l.count(), " requests)");
}

double SortValue(const v1::ServerStats& s, TopSort sort) {
  switch (sort) {
    case TopSort::kConnections:
      return double(s.active_connections());
    case TopSort::kRequests:
      return s.rates().requests_per_second();
    case TopSort::kBytes:
      return s.rates().bytes_in_per_second() + s.rates().bytes_out_per_second();
    case TopSort::kLatency:
      return double(s.interval_latency().p99_ns());
    case TopSort::kErrors:
      return s.rates().errors_per_second();
    case TopSort::kCpu:
      return s.process().cpu_percent();
    case TopSort::kRss:
      return double(s.process().rss_bytes());
    case TopSort::kRestarts:
      return double(s.restarts());
    case TopSort::kUptime:
      return s.uptime_seconds();
    case TopSort::kName:
    case TopSort::kState:
      return 0;
  }
  return 0;
}

// The column of FormatTopTable whose header shows the sort.
size_t MarkedColumn(TopSort sort) {
  switch (sort) {
    case TopSort::kName:
      return 0;
    case TopSort::kState:
      return 1;
    case TopSort::kConnections:
      return 5;
    case TopSort::kRequests:
      return 6;
    case TopSort::kBytes:
      return 7;
    case TopSort::kLatency:
      return 10;
    case TopSort::kErrors:
      return 11;
    case TopSort::kCpu:
      return 12;
    case TopSort::kRss:
      return 13;
    case TopSort::kRestarts:
      return 14;
    case TopSort::kUptime:
      return 15;
  }
  return 0;
}

}  // namespace

std::string HumanBytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return absl::StrFormat("%.0f B", bytes);
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", bytes, kUnits[unit]);
}

std::string HumanRate(double v) {
  if (v < 0.05) return "0";
  if (v < 1000) return absl::StrFormat("%.1f", v);
  if (v < 1e6) return absl::StrFormat("%.1fk", v / 1e3);
  if (v < 1e9) return absl::StrFormat("%.1fM", v / 1e6);
  return absl::StrFormat("%.1fG", v / 1e9);
}

std::string HumanNanos(uint64_t ns) {
  if (ns == 0) return "-";
  if (ns < 1000) return absl::StrCat(ns, "ns");
  if (ns < 1'000'000) return absl::StrFormat("%.1fus", ns / 1e3);
  if (ns < 1'000'000'000) return absl::StrFormat("%.2fms", ns / 1e6);
  return absl::StrFormat("%.2fs", ns / 1e9);
}

std::string FormatStatsBlock(const v1::ServerStats& s) {
  std::vector<std::vector<std::string>> rows;
  auto add = [&rows](std::string field, std::string value) {
    rows.push_back({field + ":", std::move(value)});
  };
  add("name", s.name());
  add("state", absl::StrCat(StateLabel(s.state()), "  ", ProtocolLabel(s.protocol(), s.handler()),
                            "/", ModelLabel(s.model()), "  ", Address(s),
                            s.pid() != 0 ? absl::StrCat("  pid ", s.pid()) : ""));
  add("uptime", absl::StrCat(Uptime(s), "  restarts ", s.restarts()));
  if (!s.scoreboard_available()) {
    add("scoreboard", absl::StrCat(s.scoreboard_invalid() ? "invalid: " : "unavailable: ",
                                   s.unavailable_reason()));
  } else {
    const v1::StatsCounters& t = s.totals();
    const v1::StatsRates& r = s.rates();
    add("listener", s.listener_state());
    add("connections", absl::StrCat(s.active_connections(), " active  ", t.connections_accepted(),
                                    " accepted (", HumanRate(r.connections_accepted_per_second()),
                                    "/s)  ", t.connections_closed(), " closed"));
    add("requests",
        absl::StrCat(t.requests(), " total  ", HumanRate(r.requests_per_second()), "/s"));
    add("bytes in", absl::StrCat(t.bytes_in(), " (", HumanBytes(double(t.bytes_in())), ")  ",
                                 HumanBytes(r.bytes_in_per_second()), "/s"));
    add("bytes out", absl::StrCat(t.bytes_out(), " (", HumanBytes(double(t.bytes_out())), ")  ",
                                  HumanBytes(r.bytes_out_per_second()), "/s"));
    add("errors",
        absl::StrCat("timeout ", t.errors_timeout(), "  reset ", t.errors_reset(), "  protocol ",
                     t.errors_protocol(), "  refused-at-cap ", t.errors_refused_at_cap(),
                     "  header-timeout ", t.errors_header_timeout(), "  body-timeout ",
                     t.errors_body_timeout(), "  refused-per-client ",
                     t.errors_refused_per_client(), "  dropped ", t.errors_dropped(), "  (",
                     HumanRate(r.errors_per_second()), "/s)"));
    if (t.stalls() != 0) {
      add("stalls", absl::StrCat(t.stalls(), "  (a handler held its hub past the stall bound)"));
    }
    // One definition under every model (README, "figures"): busy + left = cap.
    add("workers", absl::StrCat(s.busy_workers(), " busy  ", s.idle_workers(), " idle  cap ",
                                s.worker_cap(), "  left ", s.workers_left()));
    add("latency (interval)", LatencyLine(s.interval_latency()));
    add("latency (lifetime)", LatencyLine(s.lifetime_latency()));
    // Rates and the interval latency cover this span, ending now: never a lifetime average.
    add("interval", s.interval_seconds() > 0
                        ? absl::StrFormat("last %.2fs%s", s.interval_seconds(),
                                          s.restarted_in_interval() ? " (server restarted)" : "")
                        : std::string("measuring (rates need a second sample)"));
  }
  if (s.has_process()) {
    const v1::ProcessUsage& p = s.process();
    add("process tree",
        absl::StrCat(p.processes(), " processes  ", p.threads(), " threads  ", p.open_fds(),
                     " fds  CPU ",
                     absl::StrFormat("%.2fs (%.1f%%)", p.cpu_seconds(), p.cpu_percent()), "  RSS ",
                     HumanBytes(double(p.rss_bytes()))));
  }
  std::string out;
  for (const std::string& line : AlignColumns(rows)) out += line + "\n";
  if (s.workers_size() > 0) {
    std::vector<std::vector<std::string>> table = {
        {"SLOT", "PID", "TID", "STATE", "OWNERS", "REQUESTS", "REQ/S", "IN", "OUT"}};
    int unused = 0;
    for (const v1::WorkerStats& w : s.workers()) {
      // A slot no worker ever claimed says nothing; a big max_workers has thousands.
      if (w.owners() == 0 && w.pid() == 0) {
        ++unused;
        continue;
      }
      table.push_back({absl::StrCat(w.slot()), w.pid() ? absl::StrCat(w.pid()) : "-",
                       w.tid() ? absl::StrCat(w.tid()) : "-", w.state(), absl::StrCat(w.owners()),
                       absl::StrCat(w.counters().requests()), HumanRate(w.requests_per_second()),
                       absl::StrCat(w.counters().bytes_in()),
                       absl::StrCat(w.counters().bytes_out())});
    }
    out += "\n";
    for (const std::string& line : AlignColumns(table)) out += line + "\n";
    if (unused > 0) absl::StrAppend(&out, "(", unused, " slots never used, not shown)\n");
  }
  return out;
}

std::string FormatWatchHeader() {
  return absl::StrFormat("%-8s  %-16s  %6s  %8s  %10s  %10s  %9s  %9s  %7s  %6s  %10s", "TIME",
                         "NAME", "CONN", "REQ/S", "IN/S", "OUT/S", "P50", "P99", "ERR/S", "CPU%",
                         "RSS");
}

std::string FormatWatchLine(const v1::StatsReport& report, const v1::ServerStats& s) {
  absl::Time t = absl::FromUnixSeconds(report.time().seconds());
  return absl::StrFormat(
      "%-8s  %-16s  %6d  %8s  %10s  %10s  %9s  %9s  %7s  %6s  %10s",
      absl::FormatTime("%H:%M:%S", t, absl::LocalTimeZone()), s.name(), s.active_connections(),
      HumanRate(s.rates().requests_per_second()), HumanBytes(s.rates().bytes_in_per_second()),
      HumanBytes(s.rates().bytes_out_per_second()), HumanNanos(s.interval_latency().p50_ns()),
      HumanNanos(s.interval_latency().p99_ns()), HumanRate(s.rates().errors_per_second()),
      CpuPercent(s), Rss(s));
}

const std::vector<TopSortKey>& TopSortKeys() {
  static const std::vector<TopSortKey> kKeys = {
      {'n', TopSort::kName, "name"},        {'s', TopSort::kState, "state"},
      {'a', TopSort::kConnections, "conn"}, {'r', TopSort::kRequests, "req/s"},
      {'b', TopSort::kBytes, "bytes/s"},    {'l', TopSort::kLatency, "p99"},
      {'e', TopSort::kErrors, "err/s"},     {'c', TopSort::kCpu, "cpu"},
      {'m', TopSort::kRss, "rss"},          {'x', TopSort::kRestarts, "restarts"},
      {'u', TopSort::kUptime, "uptime"}};
  return kKeys;
}

bool TopSortForKey(char key, TopSort* sort) {
  for (const TopSortKey& k : TopSortKeys()) {
    if (k.key == key || absl::ascii_toupper(static_cast<unsigned char>(k.key)) == key) {
      *sort = k.sort;
      return true;
    }
  }
  return false;
}

std::vector<v1::ServerStats> SortForTop(std::vector<v1::ServerStats> servers, TopSort sort) {
  std::stable_sort(servers.begin(), servers.end(),
                   [sort](const v1::ServerStats& a, const v1::ServerStats& b) {
                     if (sort == TopSort::kState && a.state() != b.state()) {
                       return StateLabel(a.state()) < StateLabel(b.state());
                     }
                     double va = SortValue(a, sort), vb = SortValue(b, sort);
                     if (va != vb) return va > vb;
                     return a.name() < b.name();
                   });
  return servers;
}

std::vector<std::string> FormatTopTable(const std::vector<v1::ServerStats>& servers, TopSort sort,
                                        size_t width) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "PROTOCOL", "MODEL", "ADDRESS",
                                                 "CONN", "REQ/S", "IN/S", "OUT/S", "P50", "P99",
                                                 "ERR/S", "CPU%", "RSS", "RESTARTS", "UPTIME"}};
  // The sorted column's header is marked, so the person sees what the order means.
  rows[0][MarkedColumn(sort)] += "*";
  for (const v1::ServerStats& s : servers) {
    const v1::StatsRates& r = s.rates();
    bool board = s.scoreboard_available();
    rows.push_back(
        {s.name(), StateLabel(s.state()), ProtocolLabel(s.protocol(), s.handler()),
         ModelLabel(s.model()), Address(s), board ? absl::StrCat(s.active_connections()) : "-",
         board ? HumanRate(r.requests_per_second()) : "-",
         board ? HumanBytes(r.bytes_in_per_second()) : "-",
         board ? HumanBytes(r.bytes_out_per_second()) : "-",
         HumanNanos(s.interval_latency().p50_ns()), HumanNanos(s.interval_latency().p99_ns()),
         board ? HumanRate(r.errors_per_second()) : "-", CpuPercent(s), Rss(s),
         absl::StrCat(s.restarts()), Uptime(s)});
  }
  std::vector<std::string> lines = AlignColumns(rows);
  if (width > 0) {
    for (std::string& line : lines) {
      if (line.size() > width) line.resize(width);
    }
  }
  return lines;
}

std::vector<std::string> FitToScreen(std::vector<std::string> lines, size_t rows, size_t width) {
  if (rows == 0 || lines.size() <= rows) return lines;
  const size_t hidden = lines.size() - (rows - 1);
  lines.resize(rows - 1);
  std::string note = absl::StrCat("(", hidden, hidden == 1 ? " row does" : " rows do",
                                  " not fit: enlarge the window)");
  if (width > 0 && note.size() > width) note.resize(width);
  lines.push_back(std::move(note));
  return lines;
}

std::string FormatTopHelp(TopSort sort) {
  std::string out = "sort:";
  for (const TopSortKey& k : TopSortKeys()) {
    absl::StrAppend(&out, "  ", std::string(1, k.key), " ", k.label, k.sort == sort ? "*" : "");
  }
  absl::StrAppend(&out, "   q quit");
  return out;
}

}  // namespace corral::ctl
