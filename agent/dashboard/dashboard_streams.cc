// DashboardRoutes' long-lived answers (server-sent events) and the workers table: the part of
// the routes that talks to the agent's streams.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/dashboard/dashboard_feed.h"
#include "agent/dashboard/dashboard_routes.h"

namespace corral::agent::dashboard {
namespace {

// A comment line this often on an idle stream: it finds a browser that went away (the write
// fails), and keeps proxies from closing the stream.
constexpr absl::Duration kHeartbeat = absl::Seconds(15);
constexpr uint32_t kLogHistoryLines = 200;
constexpr size_t kMaxPendingLogLines = 5000;  // a flood beyond this drops the oldest
constexpr size_t kMaxWorkersShown = 1024;
constexpr auto kWorkersDeadline = std::chrono::seconds(5);

std::string Event(absl::string_view type, absl::string_view json) {
  return absl::StrCat("event: ", type, "\ndata: ", json, "\n\n");
}

}  // namespace

bool DashboardRoutes::EnterStream(grpc::ClientContext* call) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || streams_ >= kMaxStreams) return false;
  ++streams_;
  if (call != nullptr) calls_.insert(call);
  return true;
}

void DashboardRoutes::LeaveStream(grpc::ClientContext* call) {
  absl::MutexLock lock(&mu_);
  --streams_;
  if (call != nullptr) calls_.erase(call);
}

void DashboardRoutes::EventStream(ClientStream& stream) {
  if (!EnterStream(nullptr)) {
    (void)stream.Write(HttpResponse("503 Service Unavailable", "text/plain",
                                    "too many live pages open on this dashboard\n"));
    return;
  }
  if (stream.Write(EventStreamHead() + "retry: 2000\n\n").ok()) {
    uint64_t generation = 0;
    uint64_t event_seq = 0;
    while (!feed_.stopping()) {
      DashboardFeed::Update update = feed_.WaitNewer(generation, event_seq, kHeartbeat);
      std::string out;
      for (const std::string& e : update.events) out += Event("event", e);
      if (!update.servers.empty()) out += Event("servers", update.servers);
      if (out.empty()) out = ": idle\n\n";
      generation = update.generation;
      event_seq = update.event_seq;
      if (!stream.Write(out).ok()) break;
    }
  }
  LeaveStream(nullptr);
}

void DashboardRoutes::LogStream(ClientStream& stream, const std::string& name) {
  grpc::ClientContext context;
  if (!EnterStream(&context)) {
    (void)stream.Write(HttpResponse("503 Service Unavailable", "text/plain",
                                    "too many live pages open on this dashboard\n"));
    return;
  }
  // The gRPC read blocks, so it runs on a thread of its own; this thread writes to the browser
  // and notices (by a failed write) when the browser goes away, then cancels the call.
  struct Pending {
    absl::Mutex mu;
    std::deque<std::string> lines ABSL_GUARDED_BY(mu);
    size_t dropped ABSL_GUARDED_BY(mu) = 0;
    bool done ABSL_GUARDED_BY(mu) = false;
    std::string error ABSL_GUARDED_BY(mu);
  } pending;
  v1::TailLogsRequest request;
  request.set_name(name);
  request.set_lines(kLogHistoryLines);
  request.set_follow(true);
  std::thread reader([&] {
    std::unique_ptr<grpc::ClientReader<v1::LogLines>> tail =
        feed_.agent().TailLogs(&context, request);
    v1::LogLines lines;
    while (tail->Read(&lines)) {
      absl::MutexLock lock(&pending.mu);
      for (const std::string& line : lines.lines()) pending.lines.push_back(line);
      while (pending.lines.size() > kMaxPendingLogLines) {
        pending.lines.pop_front();
        ++pending.dropped;
      }
    }
    grpc::Status status = tail->Finish();
    absl::MutexLock lock(&pending.mu);
    pending.done = true;
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      pending.error = status.error_message();
    }
  });
  bool open = stream.Write(EventStreamHead() + "retry: 5000\n\n").ok();
  while (open) {
    std::string out;
    bool done;
    {
      absl::MutexLock lock(&pending.mu);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pending.mu) {
        return pending.done || !pending.lines.empty();
      };
      pending.mu.AwaitWithTimeout(absl::Condition(&ready), kHeartbeat);
      if (pending.dropped > 0) {
        out += Event("dropped", absl::StrCat(pending.dropped));
        pending.dropped = 0;
      }
      if (!pending.lines.empty()) {
        std::string batch = "[";
        for (const std::string& line : pending.lines) {
          if (batch.size() > 1) batch.push_back(',');
          batch += JsonQuote(line);
        }
        batch.push_back(']');
        pending.lines.clear();
        out += Event("lines", batch);
      }
      done = pending.done && pending.lines.empty();
      if (done && !pending.error.empty()) out += Event("failed", JsonQuote(pending.error));
    }
    if (out.empty()) out = ": idle\n\n";
    open = stream.Write(out).ok() && !done;
  }
  context.TryCancel();
  reader.join();
  LeaveStream(&context);
}

std::string DashboardRoutes::Workers(const std::string& name) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kWorkersDeadline);
  v1::GetStatsRequest request;
  request.set_name(name);
  request.set_per_worker(true);
  v1::StatsReport report;
  grpc::Status status = feed_.stats().GetStats(&context, request, &report);
  if (!status.ok()) {
    return HttpResponse(
        status.error_code() == grpc::StatusCode::NOT_FOUND ? "404 Not Found" : "502 Bad Gateway",
        "application/json", absl::StrCat("{\"error\":", JsonQuote(status.error_message()), "}"));
  }
  std::string out = "{\"workers\":[";
  size_t shown = 0;
  if (report.servers_size() == 1) {
    for (const v1::WorkerStats& w : report.servers(0).workers()) {
      if (w.state() == "free" || shown == kMaxWorkersShown) continue;  // unowned slots: noise
      absl::StrAppend(&out, shown == 0 ? "" : ",", "{\"slot\":", w.slot(), ",\"pid\":", w.pid(),
                      ",\"tid\":", w.tid(), ",\"state\":", JsonQuote(w.state()),
                      ",\"requests\":", w.counters().requests(),
                      ",\"rps\":", w.requests_per_second(), "}");
      ++shown;
    }
  }
  out += "]}";
  return HttpResponse("200 OK", "application/json", out);
}

}  // namespace corral::agent::dashboard
