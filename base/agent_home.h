// The agent's home directory: `${CORRAL_HOME:-${XDG_RUNTIME_DIR:-/tmp}/corral-$UID}`. It holds
// agent.sock, agent.lock and servers/NAME/ (log, scoreboard). corralctl resolves the same path,
// so `corral-agent &` then `corralctl ls` works with no flags.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace corral::base {

// The home the environment selects (no filesystem access).
std::string DefaultHome();

// The control socket inside `home`.
std::string SocketPath(const std::string& home);

// Creates `home` (mode 0700) if missing, and checks that an existing one belongs to this user
// and is not readable by anyone else, since the socket inside it is the only access control.
absl::Status PrepareHome(const std::string& home);

}  // namespace corral::base
