#include "agent/audit_interceptor.h"

#include <grpcpp/server_context.h>

namespace corral::agent {
namespace {

class AuditInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuditInterceptor(const CallerAccess& access, const grpc::ServerContextBase* context)
      : access_(access), context_(context) {}

  // A call that ends without sending a status (the client went away first) is recorded as
  // cancelled; the context is used only as a key here, never dereferenced.
  ~AuditInterceptor() override {
    if (!ended_) access_.CallEnded(context_, grpc::Status::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      ended_ = true;
      access_.CallEnded(context_, methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  const CallerAccess& access_;
  const grpc::ServerContextBase* context_;
  bool ended_ = false;
};

}  // namespace

grpc::experimental::Interceptor* AuditInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AuditInterceptor(access_, info->server_context());
}

}  // namespace corral::agent
