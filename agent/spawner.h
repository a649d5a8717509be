// Spawner: starts corral-server processes with posix_spawn (a vfork+exec, never a fork of the
// multi-threaded agent; design decision 1). Each server gets its own process group, so a stop
// can signal its whole tree, a readiness pipe on descriptor 3, its log on stdout and stderr,
// /dev/null on stdin, default signal dispositions and an empty signal mask.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"
#include "servers/net/unique_fd.h"

namespace corral::agent {

struct SpawnedServer {
  pid_t pid = 0;
  net::UniqueFd pidfd;      // readable once the process has exited
  net::UniqueFd readiness;  // read end of the readiness pipe (non-blocking)
};

// corral-server's command line for `spec` (already validated), readiness on descriptor 3.
std::vector<std::string> ServerArgv(const std::string& server_binary, const v1::ServerSpec& spec);

// Spawns `argv` with stdout and stderr appended to `log_path`. Errors name the step that failed.
absl::StatusOr<SpawnedServer> SpawnServer(const std::vector<std::string>& argv,
                                          const std::string& log_path);

}  // namespace corral::agent
