// AgentService: the corral.v1.Agent gRPC service. A thin edge: each call is handed to the loop
// thread, where the Supervisor does the work, and the call is finished from the Supervisor's
// callback, so no gRPC thread ever blocks on supervision. The two streams (WatchEvents,
// TailLogs) are fed through a bounded StreamQueue: WatchEvents from the loop, TailLogs from a
// thread of its own, since reading a log can take far longer than any supervision step.
#pragma once

#include "agent/caller_access.h"
#include "agent/event_bus.h"
#include "agent/event_loop.h"
#include "agent/loop_thread.h"
#include "agent/run_as.h"
#include "agent/supervisor.h"
#include "corral/v1/agent.grpc.pb.h"

namespace corral::agent {

class AgentService final : public v1::Agent::CallbackService {
 public:
  // All four must outlive the service (and the gRPC server that runs it). Every call is
  // checked against `access` first: reading needs the monitor role, changing the operator's.
  // Start also checks the spec's user and group against the caller under `run_as`.
  AgentService(EventLoop& loop, Supervisor& supervisor, EventBus& events,
               const CallerAccess& access, RunAsPolicy run_as)
      : loop_(loop),
        supervisor_(supervisor),
        events_(events),
        access_(access),
        run_as_(std::move(run_as)) {}

  grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* context,
                                  const v1::StartRequest* request,
                                  v1::StartResponse* response) override;
  grpc::ServerUnaryReactor* Stop(grpc::CallbackServerContext* context,
                                 const v1::StopRequest* request,
                                 v1::StopResponse* response) override;
  grpc::ServerUnaryReactor* Restart(grpc::CallbackServerContext* context,
                                    const v1::RestartRequest* request,
                                    v1::RestartResponse* response) override;
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* Scale(grpc::CallbackServerContext* context,
                                  const v1::ScaleRequest* request,
                                  v1::ScaleResponse* response) override;
  grpc::ServerUnaryReactor* Remove(grpc::CallbackServerContext* context,
                                   const v1::RemoveRequest* request,
                                   v1::RemoveResponse* response) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* context,
                                 const v1::ListRequest* request,
                                 v1::ListResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const v1::GetRequest* request,
                                v1::GetResponse* response) override;
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext* context,
                                                   const v1::WatchEventsRequest* request) override;
  grpc::ServerWriteReactor<v1::LogLines>* TailLogs(grpc::CallbackServerContext* context,
                                                   const v1::TailLogsRequest* request) override;
  // agent_service_update.cc
  grpc::ServerUnaryReactor* UpdateServer(grpc::CallbackServerContext* context,
                                         const v1::UpdateServerRequest* request,
                                         v1::UpdateServerResponse* response) override;

 private:
  // False, with `reactor` finished PERMISSION_DENIED, when the caller lacks `needed`.
  bool Admitted(const grpc::CallbackServerContext& context, Role needed, const char* method,
                grpc::ServerUnaryReactor* reactor, absl::string_view server = {}) const;
  // `spec` with its user and group checked against the caller (Start, Reload with a new spec,
  // UpdateServer): nullopt, with `reactor` finished with the refusal, when the caller may not
  // run it so. Not on the loop: the user and group lookups may wait on NSS.
  std::optional<v1::ServerSpec> AuthorizedSpec(const grpc::CallbackServerContext& context,
                                               const v1::ServerSpec& spec,
                                               grpc::ServerUnaryReactor* reactor) const;

  EventLoop& loop_;
  Supervisor& supervisor_;
  EventBus& events_;
  const CallerAccess& access_;
  const RunAsPolicy run_as_;
  LoopThread log_reader_;  // every TailLogs reads its files here, one call at a time
};

}  // namespace corral::agent
