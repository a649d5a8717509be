// AuditInterceptor: tells CallerAccess how each call ended, so that the audit log records the
// outcome of a mutating call, not only that it was admitted. It sees every call of the agent's
// gRPC server; CallerAccess ignores those it did not admit for the operator role.
//
// Thread-safety: gRPC creates one interceptor per call and runs its hooks on its own threads.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include "agent/caller_access.h"

namespace corral::agent {

class AuditInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `access` must outlive the gRPC server.
  explicit AuditInterceptorFactory(const CallerAccess& access) : access_(access) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const CallerAccess& access_;
};

}  // namespace corral::agent
