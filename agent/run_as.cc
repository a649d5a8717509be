#include "agent/run_as.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corral::agent {
namespace {

struct User {
  uid_t uid = 0;
  std::optional<gid_t> primary_gid;  // none for a numeric uid without an entry
};

// A user name, or a uid (with or without an entry in the user database).
absl::StatusOr<User> LookUpUser(const std::string& text) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  ::getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr) {
    if (uid_t number = 0; absl::SimpleAtoi(text, &number)) {
      ::getpwuid_r(number, &entry, buffer.data(), buffer.size(), &found);
      if (found == nullptr) return User{number, std::nullopt};
    }
  }
  if (found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user \"", text, "\": no such user; give a name from the user database or a uid"));
  }
  return User{entry.pw_uid, entry.pw_gid};
}

absl::StatusOr<gid_t> LookUpGroup(const std::string& text) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(64 * 1024);
  ::getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found != nullptr) return entry.gr_gid;
  if (gid_t number = 0; absl::SimpleAtoi(text, &number)) return number;
  return absl::InvalidArgumentError(absl::StrCat(
      "group \"", text, "\": no such group; give a name from the group database or a gid"));
}

// The name of `uid` in the user database, or the number.
std::string UserName(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  ::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
  return found != nullptr ? std::string(entry.pw_name) : absl::StrCat(uid);
}

// The uid and gid `spec` asks for; the agent's own where it names neither.
absl::StatusOr<Credentials> Target(const v1::ServerSpec& spec, const RunAsPolicy& policy) {
  Credentials target{policy.agent_uid, policy.agent_gid};
  std::optional<gid_t> user_gid;
  if (!spec.user().empty()) {
    absl::StatusOr<User> user = LookUpUser(spec.user());
    if (!user.ok()) return user.status();
    target.uid = user->uid;
    user_gid = user->primary_gid;
  }
  if (!spec.group().empty()) {
    absl::StatusOr<gid_t> gid = LookUpGroup(spec.group());
    if (!gid.ok()) return gid.status();
    target.gid = *gid;
  } else if (!spec.user().empty()) {
    if (!user_gid) {
      return absl::InvalidArgumentError(
          absl::StrCat("user \"", spec.user(),
                       "\" has no entry in the user database, so no primary group: "
                       "name a group too"));
    }
    target.gid = *user_gid;
  }
  return target;
}

absl::Status RootServersRefused() {
  return absl::FailedPreconditionError(
      "a server without a user would run as root, and corral-agent runs as root without "
      "--allow-root-servers: give the server a user (`corralctl start --user NAME`, spec field "
      "`user`), or restart corral-agent with --allow-root-servers to let servers run as root");
}

}  // namespace

absl::StatusOr<v1::ServerSpec> AuthorizeRunAs(const v1::ServerSpec& requested, const Caller& caller,
                                              bool built_in, const RunAsPolicy& policy) {
  v1::ServerSpec spec = requested;
  // Saved in the spec, so that every later spawn (restarts, a new agent) runs it as the same
  // user, whoever asks for the restart.
  if (!built_in && spec.user().empty()) spec.set_user(UserName(caller.uid));
  absl::StatusOr<Credentials> target = Target(spec, policy);
  if (!target.ok()) return target.status();

  if (policy.agent_uid != 0 &&
      (target->uid != policy.agent_uid || target->gid != policy.agent_gid)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "run as uid %d gid %d: corral-agent runs as uid %d gid %d, not root, so it can run "
        "servers only as itself; leave `user` and `group` out, or ask the agent's user to start "
        "the server",
        target->uid, target->gid, policy.agent_uid, policy.agent_gid));
  }
  if (!built_in && !policy.allow_user_switch) {
    const std::string who = absl::StrFormat("uid %d (pid %d), an operator through %s,", caller.uid,
                                            caller.pid, caller.why);
    if (target->uid != caller.uid) {
      return absl::PermissionDeniedError(
          absl::StrFormat("%s may not start a server as user \"%s\" (uid %d): a caller admitted by "
                          "--allow-group runs servers only as itself unless corral-agent runs with "
                          "--allow-user-switch",
                          who, spec.user(), target->uid));
    }
    if (!spec.group().empty()) {
      const std::vector<gid_t> groups = LoginGroupsOf(caller.uid, caller.gid);
      if (std::find(groups.begin(), groups.end(), target->gid) == groups.end()) {
        return absl::PermissionDeniedError(absl::StrFormat(
            "%s may not start a server in group \"%s\" (gid %d): it is not a member, and a "
            "caller admitted by --allow-group may name only its own groups unless corral-agent "
            "runs with --allow-user-switch",
            who, spec.group(), target->gid));
      }
    }
  }
  if (spec.user().empty() && target->uid == 0 && !policy.allow_root_servers) {
    return RootServersRefused();
  }
  return spec;
}

absl::StatusOr<std::optional<Credentials>> ResolveRunAs(const v1::ServerSpec& spec,
                                                        const RunAsPolicy& policy) {
  if (spec.user().empty() && policy.agent_uid == 0 && !policy.allow_root_servers) {
    return RootServersRefused();
  }
  if (spec.user().empty() && spec.group().empty()) return std::optional<Credentials>();
  absl::StatusOr<Credentials> target = Target(spec, policy);
  if (!target.ok()) return target.status();
  // A non-root agent cannot change credentials at all (setgroups needs privilege); Start let
  // through only its own.
  if (policy.agent_uid != 0 && target->uid == policy.agent_uid && target->gid == policy.agent_gid) {
    return std::optional<Credentials>();
  }
  return std::optional<Credentials>(*target);
}

}  // namespace corral::agent
