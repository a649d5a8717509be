// What a server's process is started with, apart from its descriptors: its environment (the
// agent's, the spec's additions, the hand-over variables) and, for a command server, the
// program found through PATH. Computed again at every spawn, so an edited env file or a newly
// installed program counts. Plain functions; loop thread (they read files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/listen_sockets.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

// The entries of an env file: KEY=VALUE lines; blank lines and lines starting with '#' are
// skipped; a value may be wrapped in one pair of double or single quotes. INVALID_ARGUMENT
// naming the line for a line without '=' or with an empty key.
absl::StatusOr<std::vector<std::string>> ParseEnvFile(std::string_view text);

// The agent's environment without LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES and NOTIFY_SOCKET;
// then `spec.env_file`'s entries and `spec.env`'s (each replacing an earlier one of its key);
// then NOTIFY_SOCKET=`notify_socket` and, with sockets, LISTEN_FDS and LISTEN_FDNAMES. An
// unreadable env file is an error naming it: `read env file /x/app.env: no such file or
// directory`.
absl::StatusOr<std::vector<std::string>> ServerEnvironment(const v1::ServerSpec& spec,
                                                           const std::string& notify_socket,
                                                           const std::vector<HeldSocket>& sockets);

// `spec.command` with its program made a path: a name without a slash is looked up in the PATH
// of `env` (execvp's rules). NOT_FOUND `exec python4: no such file or directory`, or
// PERMISSION_DENIED when only non-executable files of that name exist.
absl::StatusOr<std::vector<std::string>> ResolveCommand(const v1::ServerSpec& spec,
                                                        const std::vector<std::string>& env);

}  // namespace corral::agent
