// Checking the agent's unix socket before corralctl connects to it, so that each way of not
// getting through says what to do: no socket (the agent is not running), a socket we may not
// use (EACCES: whose it is and its mode), or, in the default home, a socket or home that is not
// ours. The default home can sit in /tmp, where any user could create /tmp/corral-$UID before
// us and plant a socket that logs our commands: such a home is refused, never used.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace corral::ctl {

// The socket path of a gRPC unix target ("unix:PATH" or "unix://ABSOLUTE-PATH"); empty for any
// other target.
std::string UnixSocketPath(const std::string& target);

// OK when `path` is a socket this process may connect to. With `owned_home` non-empty (the
// directory `path` is in, as the caller built it), both must belong to this user, with the home
// not writable by group or others.
// Unavailable: no socket there. PermissionDenied: not accessible, or not ours. FailedPrecondition:
// something other than a socket is there.
absl::Status CheckAgentSocket(const std::string& path, const std::string& owned_home);

}  // namespace corral::ctl
