// CallerAccess for callers over TCP, and the audit of mutating calls (see caller_access.h).
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/audit_log.h"
#include "agent/caller_access.h"
#include "agent/token_file.h"

namespace corral::agent {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

// The client certificate's subject common name, when the handshake verified one.
std::string VerifiedCommonName(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const grpc::string_ref& value : auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
    return std::string(value.data(), value.size());
  }
  return "(no common name)";
}

std::string StatusText(const grpc::Status& status) {
  if (status.ok()) return "OK";
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int code = status.error_code();
  const char* name = code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
  return absl::StrCat(name, ": ", status.error_message());
}

}  // namespace

void CallerAccess::EnableRemote(std::shared_ptr<const TokenTable> tokens,
                                bool client_certificates) {
  tokens_ = std::move(tokens);
  client_certificates_ = client_certificates;
}

std::optional<Caller> CallerAccess::IdentifyRemote(const grpc::ServerContextBase& context,
                                                   grpc::Status* refusal) const {
  Caller caller;
  caller.pid = 0;
  caller.uid = agent_uid_;
  caller.gid = ::getegid();
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    const absl::string_view value(it->second.data(), it->second.size());
    std::optional<TokenHolder> holder;
    if (tokens_ != nullptr && absl::StartsWith(value, kBearer)) {
      holder = tokens_->Find(value.substr(kBearer.size()));
    }
    if (!holder) {
      *refusal = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                              absl::StartsWith(value, kBearer)
                                  ? "the bearer token sent is not in the agent's --token-file; "
                                    "check the token file given to the client"
                                  : "the authorization metadata is not \"Bearer SECRET\"");
      return std::nullopt;
    }
    caller.role = holder->role;
    caller.remote_name = "token " + holder->name;
    caller.why = caller.remote_name;
    return caller;
  }
  if (client_certificates_) {
    if (std::string name = VerifiedCommonName(context); !name.empty()) {
      caller.role = Role::kMonitor;
      caller.remote_name = "certificate CN=" + name;
      caller.why = "a verified client certificate (monitor without a token)";
      return caller;
    }
  }
  *refusal = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "no credentials: a call over TCP needs `authorization: Bearer SECRET` "
                          "with a token from the agent's --token-file (corralctl --token-file)");
  return std::nullopt;
}

void CallerAccess::Audit(const Caller* caller, const grpc::ServerContextBase& context,
                         absl::string_view method, absl::string_view server,
                         const grpc::Status& outcome) const {
  if (audit_ == nullptr) return;
  PendingCall call;
  if (caller == nullptr) {
    call.who = "unidentified";
  } else if (!caller->remote_name.empty()) {
    call.who = caller->remote_name;
  } else {
    call.who = absl::StrCat("uid ", caller->uid, " (pid ", caller->pid, ")");
  }
  call.peer = context.peer();
  call.method = std::string(method);
  call.server = std::string(server);
  if (!outcome.ok()) {
    audit_->Append({.when = absl::Now(),
                    .who = call.who,
                    .peer = call.peer,
                    .method = call.method,
                    .server = call.server,
                    .outcome = StatusText(outcome)});
    return;
  }
  absl::MutexLock lock(&mu_);
  pending_[&context] = std::move(call);
}

void CallerAccess::CallEnded(const grpc::ServerContextBase* context,
                             const grpc::Status& status) const {
  if (audit_ == nullptr) return;
  PendingCall call;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(context);
    if (it == pending_.end()) return;
    call = std::move(it->second);
    pending_.erase(it);
  }
  audit_->Append({.when = absl::Now(),
                  .who = std::move(call.who),
                  .peer = std::move(call.peer),
                  .method = std::move(call.method),
                  .server = std::move(call.server),
                  .outcome = StatusText(status)});
}

}  // namespace corral::agent
