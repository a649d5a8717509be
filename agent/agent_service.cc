#include "agent/agent_service.h"

#include "agent/grpc_status.h"

namespace corral::agent {
namespace {

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
                                             const v1::ListRequest*,
                                             v1::ListResponse* response) {
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

}  // namespace corral::agent
