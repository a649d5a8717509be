#include "agent/agent_service.h"

#include <algorithm>
#include <memory>

#include "agent/grpc_status.h"
#include "agent/log_tail.h"
#include "agent/stream_queue.h"

namespace corral::agent {
namespace {

// Unsent events kept per WatchEvents stream before the oldest are dropped.
constexpr size_t kEventBacklog = 1024;
// Lines per TailLogs message, and the most history lines a call may ask for.
constexpr size_t kLinesPerMessage = 1000;
constexpr size_t kMaxHistoryLines = 100'000;
// How often a following TailLogs looks for new lines: the delay a reader sees at most.
constexpr std::chrono::milliseconds kFollowInterval{100};

using EventStream = StreamQueue<v1::Event>;
using LogStream = StreamQueue<v1::LogLines>;

// Loop thread. Sends what is new in the log when the client has taken the previous message
// (the file is the buffer, so a slow reader costs no memory), then looks again later.
void FollowLog(EventLoop& loop, std::shared_ptr<LogStream> stream,
               std::shared_ptr<LogFollower> follower) {
  if (stream->finished()) return;  // drops the last references
  if (!stream->busy()) {
    v1::LogLines message;
    std::vector<std::string> lines;
    follower->Poll(&lines, kLinesPerMessage);
    if (!lines.empty()) {
      for (std::string& line : lines) message.add_lines(std::move(line));
      stream->Push(std::move(message));
    }
  }
  loop.RunAfter(kFollowInterval, [&loop, stream, follower] { FollowLog(loop, stream, follower); });
}

// Finishes `reactor` with `result`, storing the server into `*out` when there is one.
void FinishWithServer(grpc::ServerUnaryReactor* reactor, const absl::StatusOr<v1::Server>& result,
                      v1::Server* out) {
  if (result.ok()) *out = *result;
  reactor->Finish(ToGrpcStatus(result.status()));
}

}  // namespace

grpc::ServerUnaryReactor* AgentService::Start(grpc::CallbackServerContext* context,
                                              const v1::StartRequest* request,
                                              v1::StartResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  loop_.RunInLoop([this, reactor, request, response] {
    supervisor_.Start(request->spec(), [reactor, response](absl::StatusOr<v1::Server> result) {
      FinishWithServer(reactor, result, response->mutable_server());
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Stop(grpc::CallbackServerContext* context,
                                             const v1::StopRequest* request,
                                             v1::StopResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
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
  loop_.RunInLoop([this, reactor, request, response] {
    supervisor_.Restart(request->name(), [reactor, response](absl::StatusOr<v1::Server> result) {
      FinishWithServer(reactor, result, response->mutable_server());
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Remove(grpc::CallbackServerContext* context,
                                               const v1::RemoveRequest* request,
                                               v1::RemoveResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  loop_.RunInLoop([this, reactor, request] {
    supervisor_.Remove(request->name(),
                       [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::List(grpc::CallbackServerContext* context,
                                             const v1::ListRequest*, v1::ListResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
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
  loop_.RunInLoop([this, reactor, request, response] {
    FinishWithServer(reactor, supervisor_.Get(request->name()), response->mutable_server());
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::Event>* AgentService::WatchEvents(
    grpc::CallbackServerContext*, const v1::WatchEventsRequest* request) {
  auto stream = std::make_shared<EventStream>(
      kEventBacklog, [](v1::Event& event, uint64_t dropped) { event.set_dropped_before(dropped); });
  // Loop thread only; the unsubscribe is queued after the subscribe, so it always finds it.
  auto id = std::make_shared<EventBus::SubscriptionId>(0);
  stream->HoldUntilDone(stream,
                        [this, id] { loop_.RunInLoop([this, id] { events_.Unsubscribe(*id); }); });
  loop_.RunInLoop([this, stream, id, name = request->name()] {
    if (!name.empty()) {
      if (absl::StatusOr<v1::Server> server = supervisor_.Get(name); !server.ok()) {
        return stream->End(ToGrpcStatus(server.status()));
      }
    }
    *id = events_.Subscribe(name, [stream](const v1::Event& event) { stream->Push(event); });
  });
  return stream.get();
}

grpc::ServerWriteReactor<v1::LogLines>* AgentService::TailLogs(grpc::CallbackServerContext*,
                                                               const v1::TailLogsRequest* request) {
  // History goes out in at most kMaxHistoryLines / kLinesPerMessage messages, queued at once.
  auto stream = std::make_shared<LogStream>(kMaxHistoryLines / kLinesPerMessage + 1,
                                            [](v1::LogLines&, uint64_t) {});
  stream->HoldUntilDone(stream, nullptr);
  loop_.RunInLoop(
      [this, stream, name = request->name(), want = request->lines(), follow = request->follow()] {
        absl::StatusOr<std::string> dir = supervisor_.LogDir(name);
        if (!dir.ok()) return stream->End(ToGrpcStatus(dir.status()));
        auto follower = std::make_shared<LogFollower>(*dir);
        std::vector<std::string> history =
            LastLogLines(*follower, std::min<size_t>(want, kMaxHistoryLines));
        for (size_t i = 0; i < history.size(); i += kLinesPerMessage) {
          v1::LogLines message;
          for (size_t j = i; j < std::min(history.size(), i + kLinesPerMessage); ++j) {
            message.add_lines(std::move(history[j]));
          }
          stream->Push(std::move(message));
        }
        if (!follow) return stream->EndWhenDrained(grpc::Status::OK);
        FollowLog(loop_, stream, follower);
      });
  return stream.get();
}

}  // namespace corral::agent
