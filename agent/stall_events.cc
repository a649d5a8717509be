#include "agent/stall_events.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/server_stats.h"

namespace corral::agent {

void StallEvents::Start() {
  loop_.RunAfter(period_, [this] {
    Tick();
    Start();
  });
}

bool StallEvents::Look(const v1::Server& server, uint64_t* stalls, bool* fresh) {
  const std::string& name = server.spec().name();
  auto it = watched_.find(name);
  *fresh = it == watched_.end() || it->second.pid != server.pid() || it->second.reader.IsReplaced();
  if (*fresh) {
    absl::StatusOr<stats::ScoreboardReader> reader =
        stats::ScoreboardReader::Open(ScoreboardPath(home_, name));
    if (!reader.ok()) return false;
    watched_.erase(name);
    it = watched_.emplace(name, Watched{server.pid(), *std::move(reader), 0}).first;
  }
  absl::StatusOr<stats::Snapshot> snap = it->second.reader.Read();
  if (!snap.ok()) return false;
  *stalls = snap->listener_stalls;
  return true;
}

void StallEvents::Tick() {
  std::set<std::string> running;
  for (const v1::Server& server : supervisor_.List()) {
    if (server.state() != v1::STATE_RUNNING || server.spec().model() != v1::MODEL_COROUTINE ||
        server.pid() == 0) {
      continue;
    }
    const std::string& name = server.spec().name();
    running.insert(name);
    uint64_t stalls = 0;
    bool fresh = false;
    if (!Look(server, &stalls, &fresh)) continue;
    Watched& w = watched_.at(name);
    // A new process starts from zero: what it counted before our first look still counts.
    const uint64_t before = fresh ? 0 : w.stalls;
    w.stalls = stalls;
    if (stalls <= before) continue;  // published even unwatched: the history keeps it
    v1::Event event;
    event.set_kind(v1::Event::STALLED);
    event.set_name(name);
    const int64_t ns = absl::ToUnixNanos(absl::Now());
    event.mutable_time()->set_seconds(ns / 1'000'000'000);
    event.mutable_time()->set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
    event.set_state(server.state());
    event.set_pid(server.pid());
    event.set_bound_address(server.bound_address());
    event.set_reason(absl::StrCat(stalls - before, " new stall(s), ", stalls,
                                  " in all: a handler held its hub longer than stall_bound_ms (",
                                  server.spec().stall_bound_ms(),
                                  " ms) without yielding; the server's log names it"));
    events_.Publish(event);
  }
  std::erase_if(watched_, [&](const auto& e) { return !running.contains(e.first); });
}

}  // namespace corral::agent
