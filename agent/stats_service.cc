#include "agent/stats_service.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>

#include "absl/time/clock.h"
#include "agent/grpc_status.h"
#include "agent/instance_stats.h"
#include "agent/prometheus_format.h"
#include "agent/stream_queue.h"

namespace corral::agent {
namespace {

constexpr uint32_t kDefaultIntervalMs = 1000;
constexpr uint32_t kMinIntervalMs = 100;
constexpr uint32_t kMaxIntervalMs = 3'600'000;
constexpr std::chrono::seconds kMetricsWait{5};

using StatsStream = StreamQueue<v1::StatsReport>;

v1::StatsReport Report(std::vector<v1::ServerStats> servers) {
  v1::StatsReport report;
  absl::Time now = absl::Now();
  report.mutable_time()->set_seconds(absl::ToUnixSeconds(now));
  report.mutable_time()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)))));
  for (v1::ServerStats& s : servers) *report.add_servers() = std::move(s);
  return report;
}

}  // namespace

// One WatchStats call: its stream, the bases of its intervals, its request. Shared by the loop's
// timer tasks; the stream keeps itself alive until gRPC is done with it.
struct StatsService::Watch {
  std::shared_ptr<StatsStream> stream;
  // Per server, the sample the previous message ended with: the base of the next interval.
  std::map<std::string, std::shared_ptr<const ServerSample>> bases;
  std::string name;
  bool per_worker = false;
  std::chrono::milliseconds interval{kDefaultIntervalMs};
  bool first = true;
};

StatsService::StatsService(EventLoop& loop, Supervisor& supervisor, std::string home,
                           const CallerAccess& access)
    : loop_(loop),
      supervisor_(supervisor),
      access_(access),
      home_(std::move(home)),
      history_(home_, fs_) {
  loop_.RunInLoop([this] { SampleTick(); });
}

void StatsService::SampleTick() {
  history_.SampleAll(*ServersNamed(""));
  loop_.RunAfter(std::chrono::milliseconds(absl::ToInt64Milliseconds(kRateWindow)),
                 [this] { SampleTick(); });
}

std::vector<v1::ServerStats> StatsService::WatchSample(Watch& watch,
                                                       const std::vector<v1::Server>& servers) {
  std::vector<v1::ServerStats> out;
  absl::Time now = absl::Now();
  // Counts no older than a quarter of the interval (and 100 ms), so intervals stay even.
  const absl::Duration max_age =
      std::min(absl::Milliseconds(100), absl::FromChrono(watch.interval) / 4);
  std::set<std::string> seen;
  for (const v1::Server& server : servers) {
    std::vector<v1::ServerStats> units;
    for (const StatsUnit& unit : StatsUnitsOf(history_.home(), server)) {
      seen.insert(unit.key);
      ServerHistory& history = history_.Of(unit.key, unit.scoreboard_path);
      std::shared_ptr<const ServerSample> cur = history.Fresh(unit.view, max_age);
      std::shared_ptr<const ServerSample>& base = watch.bases[unit.key];
      // The first message of a server covers the last second, like GetStats; later ones the
      // time since the previous message.
      if (base == nullptr) base = history.Before(*cur, kRateWindow * 0.8);
      units.push_back(StatsBetween(unit.view, base.get(), *cur, now, watch.per_worker));
      base = cur;
    }
    out.push_back(CombineUnitStats(server, std::move(units)));
  }
  std::erase_if(watch.bases, [&](const auto& e) { return !seen.contains(e.first); });
  return out;
}

absl::StatusOr<std::vector<v1::Server>> StatsService::ServersNamed(const std::string& name) const {
  if (!name.empty()) {
    absl::StatusOr<v1::Server> server = supervisor_.Get(name);
    if (!server.ok()) return server.status();
    return std::vector<v1::Server>{*std::move(server)};
  }
  std::vector<v1::Server> servers = supervisor_.List();
  std::sort(servers.begin(), servers.end(), [](const v1::Server& a, const v1::Server& b) {
    return a.spec().name() < b.spec().name();
  });
  return servers;
}

grpc::ServerUnaryReactor* StatsService::GetStats(grpc::CallbackServerContext* context,
                                                 const v1::GetStatsRequest* request,
                                                 v1::StatsReport* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status denied = access_.Check(*context, Role::kMonitor, "GetStats"); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  loop_.RunInLoop([this, reactor, request, response] {
    absl::StatusOr<std::vector<v1::Server>> servers = ServersNamed(request->name());
    if (!servers.ok()) return reactor->Finish(ToGrpcStatus(servers.status()));
    *response = Report(history_.Recent(*servers, request->per_worker()));
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::StatsReport>* StatsService::WatchStats(
    grpc::CallbackServerContext* context, const v1::WatchStatsRequest* request) {
  auto watch = std::make_shared<Watch>();
  // Only ever one message waits: the tick pushes only when the stream is idle.
  watch->stream = std::make_shared<StatsStream>(1, [](v1::StatsReport&, uint64_t) {});
  watch->stream->HoldUntilDone(watch->stream, nullptr);
  if (grpc::Status denied = access_.Check(*context, Role::kMonitor, "WatchStats"); !denied.ok()) {
    watch->stream->End(denied);  // at once: a refusal never waits on the supervision loop
    return watch->stream.get();
  }
  watch->name = request->name();
  watch->per_worker = request->per_worker();
  uint32_t interval_ms = request->interval_ms() == 0 ? kDefaultIntervalMs : request->interval_ms();
  if (interval_ms < kMinIntervalMs || interval_ms > kMaxIntervalMs) {
    std::string message = "watch stats: interval_ms " + std::to_string(interval_ms) +
                          " is out of range: use 100 to 3600000 (0 for 1000)";
    loop_.RunInLoop([stream = watch->stream, message] {
      stream->End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message));
    });
    return watch->stream.get();
  }
  watch->interval = std::chrono::milliseconds(interval_ms);
  loop_.RunInLoop([this, watch] { WatchTick(watch); });
  return watch->stream.get();
}

void StatsService::WatchTick(std::shared_ptr<Watch> watch) {
  if (watch->stream->finished()) return;  // the client went away: drops the last references
  if (!watch->stream->busy()) {
    absl::StatusOr<std::vector<v1::Server>> servers = ServersNamed(watch->name);
    if (!servers.ok()) {
      // Unknown at the start is the caller's error; gone later means it was removed: done.
      watch->stream->End(watch->first ? ToGrpcStatus(servers.status()) : grpc::Status::OK);
      return;
    }
    watch->first = false;
    watch->stream->Push(Report(WatchSample(*watch, *servers)));
  }
  loop_.RunAfter(watch->interval, [this, watch] { WatchTick(watch); });
}

std::string StatsService::RenderMetrics() {
  auto text = std::make_shared<std::promise<std::string>>();
  std::future<std::string> result = text->get_future();
  loop_.RunInLoop([this, text] {
    std::vector<v1::Server> servers = *ServersNamed("");
    std::vector<v1::ServerStats> stats = history_.Recent(servers, false);
    std::vector<PrometheusServer> input;
    for (const v1::ServerStats& s : stats) {
      input.push_back(
          {&s, s.scoreboard_available() ? history_.Of(s.name()).lifetime_latency() : nullptr});
    }
    text->set_value(RenderPrometheus(input));
  });
  if (result.wait_for(kMetricsWait) != std::future_status::ready) {
    return "# corral-agent: the supervision loop did not answer within 5 s\n";
  }
  return result.get();
}

}  // namespace corral::agent
