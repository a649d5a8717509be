// CallerAccess: who may command the agent (design decision 6). Every connection to the control
// socket is identified when it is accepted, by the kernel's word for the process at the other
// end (SO_PEERCRED), and every call is then checked against the role that identity has:
//   - operator: may do everything. The agent's own user and root always are.
//   - monitor: may read (List, Get, stats, event and log streams), not change anything.
//   - none: every call is refused with PERMISSION_DENIED naming the uid and how to be admitted.
// `corral-agent --allow-group GROUP[:monitor|operator]` gives members of GROUP a role (monitor
// when the role is left out: the least that makes the flag useful). This holds whatever the
// socket's mode is: the mode decides who may connect, this decides what a connection may do.
//
// Calls reach the services through gRPC, which names a connection handed over by descriptor as
// "fd:N"; the record is keyed by that number. A number cannot be reused while a call of its
// connection runs: gRPC closes the descriptor only when the transport is destroyed, after its
// last call (gRPC 1.51, which the build insists on: see agent/CMakeLists.txt). Health checks and
// reflection are gRPC's own services and are not checked: they say only whether the agent serves
// and what its (public) API is.
//
// Callers over TCP (--listen-tcp, always TLS; see docs/remote.md) have no credentials from the
// kernel. They are identified per call instead: by `authorization: Bearer SECRET` metadata,
// looked up in the --token-file (the token's name and role), else by a client certificate the
// TLS handshake verified against --tls-client-ca, which gives the monitor role only: a CA
// usually signs certificates for other purposes too, so being signed by it proves who a caller
// is, not that the agent's owner meant to let it change anything; the operator role is granted
// by name, in the token file. Without either the call is UNAUTHENTICATED.
//
// Every call Check admits or refuses for the operator role (every mutating call, today's and
// later ones, since they all come through Check) is written to the audit log when one is set:
// refusals at once, admitted calls when they end (CallEnded, from the audit interceptor).
//
// Thread-safety: EnableRemote and SetAuditLog before serving; Admit from the accepting thread;
// Check, CallerOf and CallEnded from any gRPC thread.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace grpc {
class ServerContextBase;
class Status;
}  // namespace grpc

namespace corral::agent {

class AuditLog;
class TokenTable;

enum class Role { kNone = 0, kMonitor = 1, kOperator = 2 };

// "monitor", "operator" or "none".
absl::string_view RoleName(Role role);

// One --allow-group: members of `gid` (named `group`) have `role`.
struct GroupGrant {
  std::string group;
  gid_t gid = 0;
  Role role = Role::kMonitor;
};

// Parses "GROUP[:monitor|operator]"; GROUP is a name from the group database or a number.
// InvalidArgument, with what was wrong, for anything else.
absl::StatusOr<GroupGrant> ParseGroupGrant(absl::string_view text);

// The groups a login of `uid` would have: `primary` and the groups listing its user's name.
std::vector<gid_t> LoginGroupsOf(uid_t uid, gid_t primary);

// A connected process and what it may do.
struct Caller {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;  // the group it runs with
  Role role = Role::kNone;
  std::string why;  // how it got its role: "the agent's user", "root", "group ops", ...
  // Over TCP: who it is ("token alice", "certificate CN=ci"); empty for a local process. A
  // remote caller acts as the agent's user (uid, gid), with that user's powers (the token file
  // is the agent's owner's grant).
  std::string remote_name;
};

class CallerAccess {
 public:
  CallerAccess(uid_t agent_uid, std::vector<GroupGrant> grants);

  // The role of a process running as `cred` (its supplementary groups are read from the group
  // database through its user's name, as a login would set them).
  Caller Identify(const ucred& cred) const;

  // Identifies the peer of `fd`, a connection just accepted on the control socket, and
  // records it under that number until the next Admit of the same number. Returns its role;
  // an error when the kernel gives no credentials (the connection must then be closed, not
  // served).
  absl::StatusOr<Role> Admit(int fd);

  // OK when the call's connection has at least `needed`; PERMISSION_DENIED saying who the
  // caller is, what `method` needs and how to grant it, otherwise (also for a connection that
  // was never admitted).
  // Over TCP: UNAUTHENTICATED without a known token or verified certificate; PERMISSION_DENIED
  // for a role below `needed`. `server` names the server the call acts on, for the audit log.
  grpc::Status Check(const grpc::ServerContextBase& context, Role needed, absl::string_view method,
                     absl::string_view server = {}) const;

  // Admits callers over TCP: by the tokens of `tokens` (may be null), and with
  // `client_certificates`, by a verified client certificate alone (as monitor).
  void EnableRemote(std::shared_ptr<const TokenTable> tokens, bool client_certificates);
  // Where mutating calls are written; null: nowhere. Must outlive every call.
  void SetAuditLog(AuditLog* audit) { audit_ = audit; }
  // A call that Check admitted for the operator role ends with `status`: writes its audit line.
  // Calls Check never saw for that role are ignored.
  void CallEnded(const grpc::ServerContextBase* context, const grpc::Status& status) const;

  // The caller of a call that Check admitted (Start needs to know as whom it may run a server);
  // nullopt for a connection that was never admitted.
  std::optional<Caller> CallerOf(const grpc::ServerContextBase& context) const;

  // Whether `caller` got its role from the agent itself (the agent's user, root) rather than
  // from an --allow-group grant.
  bool IsBuiltInOperator(const Caller& caller) const {
    return caller.uid == agent_uid_ || caller.uid == 0;
  }

 private:
  // A call's caller: from the connection's record for the unix socket, from the call's
  // credentials over TCP; nullopt for an unadmitted connection. `refusal` is set when a TCP
  // caller could not be identified (UNAUTHENTICATED, saying why).
  std::optional<Caller> Identified(const grpc::ServerContextBase& context,
                                   grpc::Status* refusal) const;
  std::optional<Caller> IdentifyRemote(const grpc::ServerContextBase& context,
                                       grpc::Status* refusal) const;
  void Audit(const Caller* caller, const grpc::ServerContextBase& context, absl::string_view method,
             absl::string_view server, const grpc::Status& outcome) const;

  // A mutating call admitted and not yet ended: what its audit line will say.
  struct PendingCall {
    std::string who;
    std::string peer;
    std::string method;
    std::string server;
  };

  const uid_t agent_uid_;
  const std::vector<GroupGrant> grants_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, Caller> by_fd_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const TokenTable> tokens_;
  bool client_certificates_ = false;
  AuditLog* audit_ = nullptr;
  mutable absl::flat_hash_map<const grpc::ServerContextBase*, PendingCall> pending_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace corral::agent
