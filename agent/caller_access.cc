#include "agent/caller_access.h"

#include <grp.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>
#include <pwd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/syscall_error.h"

namespace corral::agent {
namespace {

// "fd:N" -> N, as gRPC names a connection handed to it by descriptor; -1 for anything else.
int PeerFd(const std::string& peer) {
  absl::string_view rest = peer;
  int fd = -1;
  if (!absl::ConsumePrefix(&rest, "fd:") || !absl::SimpleAtoi(rest, &fd)) return -1;
  return fd;
}

}  // namespace

std::vector<gid_t> LoginGroupsOf(uid_t uid, gid_t primary) {
  std::vector<gid_t> groups = {primary};
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return groups;  // a uid without a name has only the group it runs with
  }
  int count = 64;
  std::vector<gid_t> listed(count);
  if (::getgrouplist(entry.pw_name, primary, listed.data(), &count) < 0) {
    listed.resize(count);  // count now says how many there are
    if (::getgrouplist(entry.pw_name, primary, listed.data(), &count) < 0) return groups;
  }
  listed.resize(count);
  return listed;
}

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kMonitor:
      return "monitor";
    case Role::kNone:
      break;
  }
  return "none";
}

absl::StatusOr<GroupGrant> ParseGroupGrant(absl::string_view text) {
  GroupGrant grant;
  absl::string_view name = text;
  if (const size_t colon = text.rfind(':'); colon != absl::string_view::npos) {
    name = text.substr(0, colon);
    const absl::string_view role = text.substr(colon + 1);
    if (role == "operator") {
      grant.role = Role::kOperator;
    } else if (role != "monitor") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--allow-group ", text, ": the role is monitor or operator, not \"", role, "\""));
    }
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--allow-group ", text, ": expected GROUP[:monitor|operator]"));
  }
  grant.group = std::string(name);
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(64 * 1024);
  const int err = ::getgrnam_r(grant.group.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found != nullptr) {
    grant.gid = entry.gr_gid;
    return grant;
  }
  if (unsigned number = 0; absl::SimpleAtoi(name, &number)) {
    grant.gid = number;
    return grant;
  }
  return absl::InvalidArgumentError(absl::StrCat("--allow-group ", text, ": no group named \"",
                                                 name, "\"",
                                                 err != 0 ? ": " + base::ErrnoText(err) : ""));
}

CallerAccess::CallerAccess(uid_t agent_uid, std::vector<GroupGrant> grants)
    : agent_uid_(agent_uid), grants_(std::move(grants)) {}

Caller CallerAccess::Identify(const ucred& cred) const {
  Caller caller;
  caller.pid = cred.pid;
  caller.uid = cred.uid;
  caller.gid = cred.gid;
  if (cred.uid == agent_uid_) {
    caller.role = Role::kOperator;
    caller.why = "the agent's user";
    return caller;
  }
  if (cred.uid == 0) {
    caller.role = Role::kOperator;
    caller.why = "root";
    return caller;
  }
  if (grants_.empty()) return caller;
  const std::vector<gid_t> groups = LoginGroupsOf(cred.uid, cred.gid);
  for (const GroupGrant& grant : grants_) {
    if (grant.role <= caller.role) continue;
    for (gid_t gid : groups) {
      if (gid == grant.gid) {
        caller.role = grant.role;
        caller.why = "group " + grant.group;
        break;
      }
    }
  }
  return caller;
}

absl::StatusOr<Role> CallerAccess::Admit(int fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    return base::SyscallError("read the caller's credentials (SO_PEERCRED)", errno);
  }
  Caller caller = Identify(cred);
  const Role role = caller.role;
  absl::MutexLock lock(&mu_);
  by_fd_[fd] = std::move(caller);
  return role;
}

std::optional<Caller> CallerAccess::Identified(const grpc::ServerContextBase& context,
                                               grpc::Status* refusal) const {
  const int fd = PeerFd(context.peer());
  if (fd < 0) return IdentifyRemote(context, refusal);
  absl::MutexLock lock(&mu_);
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return std::nullopt;
  return it->second;
}

std::optional<Caller> CallerAccess::CallerOf(const grpc::ServerContextBase& context) const {
  grpc::Status refusal;
  return Identified(context, &refusal);
}

grpc::Status CallerAccess::Check(const grpc::ServerContextBase& context, Role needed,
                                 absl::string_view method, absl::string_view server) const {
  grpc::Status refusal;
  const std::optional<Caller> caller = Identified(context, &refusal);
  grpc::Status result = refusal;
  if (result.ok() && (!caller || caller->role < needed)) {
    if (caller && !caller->remote_name.empty()) {
      result = grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrFormat("%s, a %s, may not call %s: it needs the %s role. Use a token whose "
                          "role is %s in the agent's --token-file",
                          caller->remote_name, RoleName(caller->role), method, RoleName(needed),
                          RoleName(needed)));
    } else {
      std::string who = caller ? absl::StrFormat("uid %d (pid %d)", caller->uid, caller->pid)
                               : "an unidentified peer";
      if (caller && caller->role != Role::kNone) {
        absl::StrAppend(&who, ", a ", RoleName(caller->role), " through ", caller->why, ",");
      }
      result = grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrFormat("%s may not call %s: it needs the %s role. The agent's user (uid %d) "
                          "and root have every role; to admit a group, start the agent with "
                          "--allow-group GROUP:%s",
                          who, method, RoleName(needed), agent_uid_, RoleName(needed)));
    }
  }
  if (needed == Role::kOperator)
    Audit(caller ? &*caller : nullptr, context, method, server, result);
  return result;
}

}  // namespace corral::agent
