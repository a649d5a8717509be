// AgentService::UpdateServer (issue 22 item 4): the edge of Supervisor::Update, checked as
// Start is (the operator role, then the spec's user and group against the caller).
#include "agent/agent_service.h"
#include "agent/grpc_status.h"

namespace corral::agent {

grpc::ServerUnaryReactor* AgentService::UpdateServer(grpc::CallbackServerContext* context,
                                                     const v1::UpdateServerRequest* request,
                                                     v1::UpdateServerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Admitted(*context, Role::kOperator, "UpdateServer", reactor)) return reactor;
  std::optional<v1::ServerSpec> spec = AuthorizedSpec(*context, request->spec(), reactor);
  if (!spec) return reactor;
  const bool dry_run = request->dry_run();
  loop_.RunInLoop([this, reactor, spec = *std::move(spec), dry_run, response] {
    supervisor_.Update(spec, dry_run,
                       [reactor, response](absl::StatusOr<v1::UpdateServerResponse> result) {
                         if (result.ok()) *response = *std::move(result);
                         reactor->Finish(ToGrpcStatus(result.status()));
                       });
  });
  return reactor;
}

}  // namespace corral::agent
