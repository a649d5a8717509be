#include "agent/dashboard/dashboard_feed.h"

#include <grpcpp/grpcpp.h>
#include <pthread.h>

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/dashboard/http_message.h"
#include "spdlog/spdlog.h"

namespace corral::agent::dashboard {
namespace {

constexpr absl::Duration kRetry = absl::Seconds(1);

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// Unix seconds with milliseconds: StrCat would round a double to 6 digits.
std::string Seconds(double unix_seconds) { return absl::StrFormat("%.3f", unix_seconds); }

std::string Timestamp(const google::protobuf::Timestamp& t) {
  return Seconds(static_cast<double>(t.seconds()) + t.nanos() / 1e9);
}

// What the table shows as "protocol or program".
std::string Program(const v1::Server* server, const v1::ServerStats& s) {
  if (server != nullptr && server->spec().command_size() > 0) {
    return absl::StrJoin(server->spec().command(), " ");
  }
  if (!s.handler().empty()) return s.handler();
  return v1::Protocol_Name(s.protocol());
}

std::string Row(const v1::ServerStats& s, const v1::Server* server) {
  const v1::LatencySummary& lat = s.interval_latency();
  return absl::StrCat(
      "{\"name\":", JsonQuote(s.name()), ",\"state\":", JsonQuote(v1::State_Name(s.state())),
      ",\"program\":", JsonQuote(Program(server, s)),
      ",\"model\":", JsonQuote(v1::Model_Name(s.model())),
      ",\"address\":", JsonQuote(s.bound_address()), ",\"pid\":", s.pid(),
      ",\"conns\":", s.active_connections(), ",\"rps\":", s.rates().requests_per_second(),
      ",\"p50\":", Ms(lat.p50_ns()), ",\"p99\":", Ms(lat.p99_ns()),
      ",\"eps\":", s.rates().errors_per_second(), ",\"cpu\":", s.process().cpu_percent(),
      ",\"rss\":", s.process().rss_bytes(), ",\"restarts\":", s.restarts(),
      ",\"uptime\":", s.uptime_seconds(), ",\"busy\":", s.busy_workers(),
      ",\"idle\":", s.idle_workers(), ",\"cap\":", s.worker_cap(),
      ",\"reason\":", JsonQuote(server != nullptr ? server->reason() : ""),
      ",\"status\":", JsonQuote(server != nullptr ? server->status() : ""), "}");
}

std::string EventJson(const v1::Event& e) {
  std::string exit;
  if (e.has_exit()) {
    exit = e.exit().has_signal() ? absl::StrCat("signal ", e.exit().signal())
           : e.exit().has_code() ? absl::StrCat("code ", e.exit().code())
                                 : "unknown";
  }
  return absl::StrCat("{\"kind\":", JsonQuote(v1::Event::Kind_Name(e.kind())),
                      ",\"name\":", JsonQuote(e.name()), ",\"time\":", Timestamp(e.time()),
                      ",\"state\":", JsonQuote(v1::State_Name(e.state())), ",\"pid\":", e.pid(),
                      ",\"exit\":", JsonQuote(exit), ",\"reason\":", JsonQuote(e.reason()), "}");
}

}  // namespace

DashboardFeed::DashboardFeed(const std::string& socket_path)
    : channel_(grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials())),
      agent_(v1::Agent::NewStub(channel_)),
      stats_(v1::Stats::NewStub(channel_)) {
  table_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "dash-table");  // for top -H and /proc/PID/task
    TableLoop();
  });
  events_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "dash-events");
    EventsLoop();
  });
}

DashboardFeed::~DashboardFeed() {
  Stop();
  table_thread_.join();
  events_thread_.join();
}

void DashboardFeed::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (events_call_ != nullptr) events_call_->TryCancel();
}

bool DashboardFeed::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool DashboardFeed::Pause(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void DashboardFeed::Publish(const std::vector<v1::Server>& servers, const v1::StatsReport& report) {
  std::pair<std::vector<v1::Server>, v1::StatsReport> sample(servers, report);  // copied unlocked
  absl::MutexLock lock(&mu_);
  pending_ = std::move(sample);
}

void DashboardFeed::TableLoop() {
  while (true) {
    std::pair<std::vector<v1::Server>, v1::StatsReport> sample;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || pending_.has_value();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      sample = *std::move(pending_);
      pending_.reset();
    }
    BuildTable(sample.first, sample.second);
  }
}

void DashboardFeed::BuildTable(const std::vector<v1::Server>& servers,
                               const v1::StatsReport& report) {
  std::map<std::string, const v1::Server*> by_name;
  for (const v1::Server& s : servers) by_name[s.spec().name()] = &s;
  std::string rows = "[";
  std::set<std::string> names;
  const double now = static_cast<double>(report.time().seconds()) + report.time().nanos() / 1e9;
  std::vector<std::pair<std::string, Point>> points;
  for (const v1::ServerStats& s : report.servers()) {
    auto it = by_name.find(s.name());
    if (rows.size() > 1) rows.push_back(',');
    rows += Row(s, it == by_name.end() ? nullptr : it->second);
    names.insert(s.name());
    points.push_back({s.name(),
                      {now, s.rates().requests_per_second(), Ms(s.interval_latency().p50_ns()),
                       Ms(s.interval_latency().p99_ns()), s.rates().errors_per_second(),
                       s.process().cpu_percent(),
                       static_cast<double>(s.process().rss_bytes()) / (1024.0 * 1024.0)}});
  }
  rows.push_back(']');
  absl::MutexLock lock(&mu_);
  std::erase_if(history_, [&](const auto& e) { return !names.contains(e.first); });
  for (auto& [name, point] : points) {
    std::deque<Point>& h = history_[name];
    h.push_back(point);
    if (h.size() > kHistoryPoints) h.pop_front();
  }
  servers_ = std::move(rows);
  ++generation_;
}

void DashboardFeed::EventsLoop() {
  bool first = true;
  do {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      events_call_ = &context;
    }
    v1::WatchEventsRequest request;
    // A reconnect asks for no history: what it missed is in the table already.
    request.set_history(first ? 50 : 0);
    first = false;
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader = agent_->WatchEvents(&context, request);
    v1::Event event;
    while (reader->Read(&event)) {
      std::string json = EventJson(event);
      absl::MutexLock lock(&mu_);
      events_.push_back(std::move(json));
      if (events_.size() > kKeptEvents) events_.pop_front();
      ++event_seq_;
    }
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      events_call_ = nullptr;
    }
    if (!stopping()) spdlog::warn("dashboard: watch events: {}", status.error_message());
  } while (Pause(kRetry));
}

DashboardFeed::Update DashboardFeed::WaitNewer(uint64_t generation, uint64_t event_seq,
                                               absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto newer = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || generation_ != generation || event_seq_ != event_seq;
  };
  mu_.AwaitWithTimeout(absl::Condition(&newer), timeout);
  Update update;
  update.generation = generation_;
  update.event_seq = event_seq_;
  if (generation_ != generation) update.servers = servers_;
  // Events after `event_seq` that are still kept; a stream far behind gets the newest only.
  uint64_t missed = event_seq_ > event_seq ? event_seq_ - event_seq : 0;
  size_t first = events_.size() - std::min<uint64_t>(missed, events_.size());
  update.events.assign(events_.begin() + static_cast<std::ptrdiff_t>(first), events_.end());
  return update;
}

std::string DashboardFeed::HistoryJson(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  std::string out = absl::StrCat("{\"name\":", JsonQuote(name), ",\"points\":[");
  auto it = history_.find(name);
  if (it != history_.end()) {
    bool first = true;
    for (const Point& p : it->second) {
      absl::StrAppend(&out, first ? "" : ",", "[", Seconds(p.time), ",", p.rps, ",", p.p50_ms, ",",
                      p.p99_ms, ",", p.errors, ",", p.cpu, ",", p.rss_mib, "]");
      first = false;
    }
  }
  out += "]}";
  return out;
}

}  // namespace corral::agent::dashboard
