// As whom a server runs: the spec's `user` and `group`, who may ask for which, and the
// credentials its process takes (the drop itself is SpawnChild's, in child_spawn.h).
//
// The rules (SECURITY.md states them for operators):
//   - A server never runs as a more privileged user than its caller. A caller admitted through
//     --allow-group runs servers as itself (a spec without `user` gets the caller's) and may
//     name only itself and its own groups, unless the agent runs with --allow-user-switch,
//     which lets such callers name any user, root included.
//   - The agent's user and root name whom they like, within what the agent can do: a non-root
//     agent can run servers only as itself.
//   - A spec without `user` (from the agent's user or root) runs as the agent's user; on a root
//     agent only with --allow-root-servers, so that root servers are a decision, not a default.
//     This is checked at every spawn, so a saved spec is refused too once the flag is gone.
// Names are looked up in the user and group databases (NSS) on the calling thread.
#pragma once

#include <sys/types.h>

#include <optional>

#include "absl/status/statusor.h"
#include "agent/caller_access.h"
#include "agent/child_spawn.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

struct RunAsPolicy {
  uid_t agent_uid = 0;
  gid_t agent_gid = 0;
  bool allow_user_switch = false;   // --allow-user-switch
  bool allow_root_servers = false;  // --allow-root-servers
};

// For Start: checks the spec's `user` and `group` against what `caller` may ask and what the
// agent can do, and returns the spec to run (with `user` filled in for a caller admitted
// through a group that left it out). `built_in` is CallerAccess::IsBuiltInOperator(caller).
// Errors: INVALID_ARGUMENT for an unknown user or group; PERMISSION_DENIED for a user or group
// the caller may not ask for; FAILED_PRECONDITION for what the agent cannot or may not do (a
// non-root agent asked to switch, a root agent without --allow-root-servers asked for a server
// without a user). Each message names the user or group and the flag or field that would
// allow it.
absl::StatusOr<v1::ServerSpec> AuthorizeRunAs(const v1::ServerSpec& spec, const Caller& caller,
                                              bool built_in, const RunAsPolicy& policy);

// For each spawn: the credentials the server process takes, resolved now (a user deleted since
// the Start fails the spawn), or nullopt to keep the agent's own. FAILED_PRECONDITION for a
// root agent without --allow-root-servers and a spec without `user`, INVALID_ARGUMENT for a
// name that no longer resolves.
absl::StatusOr<std::optional<Credentials>> ResolveRunAs(const v1::ServerSpec& spec,
                                                        const RunAsPolicy& policy);

}  // namespace corral::agent
