#include "agent/agent_service.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "agent/grpc_status.h"
#include "agent/log_tail.h"
#include "agent/stream_queue.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

// Unsent events kept per WatchEvents stream before the oldest are dropped.
constexpr size_t kEventBacklog = 1024;
// TailLogs messages: at most kLinesPerMessage lines and kMaxMessageBytes serialized, well
// under the 4 MiB a gRPC client accepts by default. A line costs its bytes plus a tag and a
// length (at most kLineOverhead), so the lines of a message hold at most kLineBytesPerMessage.
constexpr size_t kLinesPerMessage = 1000;
constexpr size_t kMaxMessageBytes = 1024 * 1024;
constexpr size_t kLineOverhead = 8;
constexpr size_t kLineBytesPerMessage = kMaxMessageBytes - kLinesPerMessage * kLineOverhead;
// The most history lines a call may ask for (the log's last kMaxTailBytes bound them too).
constexpr size_t kMaxHistoryLines = 100'000;
// A message is closed only when the next line does not fit, so it holds more than half of
// kLineBytesPerMessage or kLinesPerMessage lines: the whole history fits in this many.
static_assert(kMaxLineBytes + kLineCutMarker.size() < kLineBytesPerMessage / 2);
constexpr size_t kMaxHistoryMessages =
    kMaxHistoryLines / kLinesPerMessage + 2 * kMaxTailBytes / kLineBytesPerMessage + 2;
// How often a following TailLogs looks for new lines: the delay a reader sees at most.
constexpr std::chrono::milliseconds kFollowInterval{100};

using EventStream = StreamQueue<v1::Event>;
using LogStream = StreamQueue<v1::LogLines>;

// Deletes a removed server's directory (its logs, its scoreboard), so that a new server of the
// same name does not show the old one's lines. Its logger may still be writing its last lines:
// into a file already unlinked, or failing to create one in a directory already gone. A failure
// leaves the files (the server is removed all the same) and is logged.
void RemoveServerDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  if (error) spdlog::warn("remove the directory {} of a removed server: {}", dir, error.message());
}

// `lines` (oldest first) as TailLogs messages within the limits above.
std::vector<v1::LogLines> PackLines(std::vector<std::string> lines) {
  std::vector<v1::LogLines> messages;
  size_t bytes = 0;
  for (std::string& line : lines) {
    if (messages.empty() || messages.back().lines_size() == kLinesPerMessage ||
        bytes + line.size() > kLineBytesPerMessage) {
      messages.emplace_back();
      bytes = 0;
    }
    bytes += line.size();
    messages.back().add_lines(std::move(line));
  }
  return messages;
}

// Log reader thread. Sends what is new in the log when the client has taken the previous
// message (the file is the buffer, so a slow reader costs no memory), then looks again later.
void FollowLog(EventLoop& reader, std::shared_ptr<LogStream> stream,
               std::shared_ptr<LogFollower> follower) {
  if (stream->finished()) return;  // drops the last references
  if (!stream->busy()) {
    std::vector<std::string> lines;
    follower->Poll(&lines, kLinesPerMessage, kLineBytesPerMessage);
    for (v1::LogLines& message : PackLines(std::move(lines))) stream->Push(std::move(message));
  }
  reader.RunAfter(kFollowInterval,
                  [&reader, stream, follower] { FollowLog(reader, stream, follower); });
}

// Log reader thread. Sends the last `want` lines of the log in `dir`, then follows it or ends.
void SendLog(EventLoop& reader, std::shared_ptr<LogStream> stream, const std::string& dir,
             size_t want, bool follow) {
  if (stream->finished()) return;
  auto follower = std::make_shared<LogFollower>(dir);
  LogHistory history = LastLogLines(*follower, std::min(want, kMaxHistoryLines));
  if (history.byte_cap_reached) {
    history.lines.insert(history.lines.begin(),
                         absl::StrCat("[corral-agent: older lines not shown: a tail reads at most "
                                      "the last ",
                                      kMaxTailBytes / (1024 * 1024), " MiB of a log]"));
  }
  for (v1::LogLines& message : PackLines(std::move(history.lines))) {
    stream->Push(std::move(message));
  }
  if (!follow) return stream->EndWhenDrained(grpc::Status::OK);
  stream->Announce();  // every line written from now on reaches the follower
  FollowLog(reader, stream, follower);
}

// Finishes `reactor` with `result`, storing the server into `*out` when there is one.
void FinishWithServer(grpc::ServerUnaryReactor* reactor, const absl::StatusOr<v1::Server>& result,
                      v1::Server* out) {
  if (result.ok()) *out = *result;
  reactor->Finish(ToGrpcStatus(result.status()));
}

}  // namespace

bool AgentService::Admitted(const grpc::CallbackServerContext& context, Role needed,
                            const char* method, grpc::ServerUnaryReactor* reactor,
                            absl::string_view server) const {
  grpc::Status denied = access_.Check(context, needed, method, server);
  if (!denied.ok()) reactor->Finish(denied);
  return denied.ok();
}

std::optional<v1::ServerSpec> AgentService::AuthorizedSpec(
    const grpc::CallbackServerContext& context, const v1::ServerSpec& spec,
    grpc::ServerUnaryReactor* reactor) const {
  std::optional<Caller> caller = access_.CallerOf(context);
  absl::StatusOr<v1::ServerSpec> authorized =
      caller ? AuthorizeRunAs(spec, *caller, access_.IsBuiltInOperator(*caller), run_as_)
             : absl::PermissionDeniedError("the caller's connection was never identified");
  if (!authorized.ok()) {
    reactor->Finish(ToGrpcStatus(authorized.status()));
    return std::nullopt;
  }
  return *std::move(authorized);
}

grpc::ServerUnaryReactor* AgentService::Start(grpc::CallbackServerContext* context,
                                              const v1::StartRequest* request,
                                              v1::StartResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "Start", reactor, request->spec().name()))
    return reactor;
  std::optional<v1::ServerSpec> spec = AuthorizedSpec(*context, request->spec(), reactor);
  if (!spec) return reactor;
  loop_.RunInLoop([this, reactor, spec = *std::move(spec), response] {
    supervisor_.Start(spec, [reactor, response](absl::StatusOr<v1::Server> result) {
      FinishWithServer(reactor, result, response->mutable_server());
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Stop(grpc::CallbackServerContext* context,
                                             const v1::StopRequest* request,
                                             v1::StopResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "Stop", reactor, request->name())) return reactor;
  loop_.RunInLoop([this, reactor, request, response] {
    supervisor_.Stop(request->name(), request->timeout_ms(),
                     [reactor, response](absl::StatusOr<v1::Server> result) {
                       FinishWithServer(reactor, result, response->mutable_server());
                     });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Restart(grpc::CallbackServerContext* context,
                                                const v1::RestartRequest* request,
                                                v1::RestartResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "Restart", reactor, request->name())) return reactor;
  loop_.RunInLoop([this, reactor, request, response] {
    supervisor_.Restart(request->name(), [reactor, response](absl::StatusOr<v1::Server> result) {
      FinishWithServer(reactor, result, response->mutable_server());
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Reload(grpc::CallbackServerContext* context,
                                               const v1::ReloadRequest* request,
                                               v1::ReloadResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "Reload", reactor)) return reactor;
  // A new spec may name another user: the same check as a Start.
  std::optional<v1::ServerSpec> spec;
  if (request->has_spec()) {
    spec = AuthorizedSpec(*context, request->spec(), reactor);
    if (!spec) return reactor;
  }
  loop_.RunInLoop([this, reactor, request, response, spec = std::move(spec)] {
    supervisor_.Reload(
        request->name(), spec ? &*spec : nullptr,
        [reactor, response](absl::StatusOr<v1::Server> result) {
          FinishWithServer(reactor, result, response->mutable_server());
        },
        request);
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Scale(grpc::CallbackServerContext* context,
                                              const v1::ScaleRequest* request,
                                              v1::ScaleResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "Scale", reactor)) return reactor;
  loop_.RunInLoop([this, reactor, request, response] {
    supervisor_.Scale(*request, [reactor, response](absl::StatusOr<v1::Server> result) {
      FinishWithServer(reactor, result, response->mutable_server());
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Remove(grpc::CallbackServerContext* context,
                                               const v1::RemoveRequest* request,
                                               v1::RemoveResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "Remove", reactor, request->name())) return reactor;
  loop_.RunInLoop([this, reactor, request] {
    absl::StatusOr<std::string> dir = supervisor_.LogDir(request->name());
    if (!dir.ok() || request->keep_logs()) dir = std::string();
    supervisor_.Remove(request->name(), [reactor, dir = *std::move(dir)](absl::Status status) {
      if (status.ok() && !dir.empty()) RemoveServerDir(dir);
      reactor->Finish(ToGrpcStatus(status));
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::List(grpc::CallbackServerContext* context,
                                             const v1::ListRequest*, v1::ListResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kMonitor, "List", reactor)) return reactor;
  loop_.RunInLoop([this, reactor, response] {
    for (v1::Server& server : supervisor_.List()) *response->add_servers() = std::move(server);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Get(grpc::CallbackServerContext* context,
                                            const v1::GetRequest* request,
                                            v1::GetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kMonitor, "Get", reactor)) return reactor;
  loop_.RunInLoop([this, reactor, request, response] {
    FinishWithServer(reactor, supervisor_.Get(request->name()), response->mutable_server());
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::Event>* AgentService::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  auto stream = std::make_shared<EventStream>(
      kEventBacklog, [](v1::Event& event, uint64_t dropped) { event.set_dropped_before(dropped); });
  // Loop thread only; the unsubscribe is queued after the subscribe, so it always finds it.
  auto id = std::make_shared<EventBus::SubscriptionId>(0);
  stream->HoldUntilDone(stream,
                        [this, id] { loop_.RunInLoop([this, id] { events_.Unsubscribe(*id); }); });
  if (grpc::Status denied = access_.Check(*context, Role::kMonitor, "WatchEvents"); !denied.ok()) {
    stream->End(denied);  // at once: a refusal never waits on the supervision loop
    return stream.get();
  }
  loop_.RunInLoop([this, stream, id, name = request->name(), history = request->history(),
                   history_only = request->history_only()] {
    // Sent before subscribing, in the same turn of the loop: no event is missed or sent twice.
    std::vector<v1::Event> past = events_.History(name, std::min<size_t>(history, kEventBacklog));
    if (!name.empty() && past.empty()) {
      if (absl::StatusOr<v1::Server> server = supervisor_.Get(name); !server.ok()) {
        return stream->End(ToGrpcStatus(server.status()));
      }
    }
    for (v1::Event& event : past) stream->Push(std::move(event));
    if (history_only) return stream->EndWhenDrained(grpc::Status::OK);
    *id = events_.Subscribe(name, [stream](const v1::Event& event) { stream->Push(event); });
    stream->Announce();  // the watcher may now act: no later event passes it by
  });
  return stream.get();
}

grpc::ServerWriteReactor<v1::LogLines>* AgentService::TailLogs(grpc::CallbackServerContext* context,
                                                               const v1::TailLogsRequest* request) {
  auto stream = std::make_shared<LogStream>(kMaxHistoryMessages, [](v1::LogLines&, uint64_t) {});
  stream->HoldUntilDone(stream, nullptr);
  if (grpc::Status denied = access_.Check(*context, Role::kMonitor, "TailLogs"); !denied.ok()) {
    stream->End(denied);  // at once: a refusal never waits on the supervision loop
    return stream.get();
  }
  loop_.RunInLoop(
      [this, stream, name = request->name(), want = request->lines(), follow = request->follow()] {
        absl::StatusOr<std::string> dir = supervisor_.LogDir(name);
        if (!dir.ok()) return stream->End(ToGrpcStatus(dir.status()));
        // The files are read on the log reader's thread: the supervision loop answers other
        // calls meanwhile, however big the log.
        EventLoop& reader = log_reader_.loop();
        reader.RunInLoop([&reader, stream, dir = *std::move(dir), want, follow] {
          SendLog(reader, stream, dir, want, follow);
        });
      });
  return stream.get();
}

}  // namespace corral::agent
