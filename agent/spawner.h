// Spawner: starts corral-server processes with a vfork+exec (SpawnChild, never a fork of the
// multi-threaded agent; design decision 1) that can also drop privileges. Each server gets its own
// process group, so a stop can signal its whole tree, a readiness pipe on descriptor 3, its
// validated ServerSpec on descriptor 4 (a sealed memfd; design decision 9), its scoreboard on
// descriptor 5, its log on stdout and stderr, /dev/null on stdin, default signal dispositions and
// an empty signal mask. Its stdout and stderr are a pipe to its own corral-logger (agent/logger),
// spawned first in a process group of its own, so the logger drains the last lines after the server
// dies and outlives an agent restart.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/child_spawn.h"
#include "base/unique_fd.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

struct SpawnedServer {
  pid_t pid = 0;
  base::UniqueFd pidfd;         // readable once the process has exited
  base::UniqueFd readiness;     // read end of the readiness pipe (non-blocking)
  base::UniqueFd logger_pidfd;  // the logger's; it exits once the server's output is closed
  // The unnamed scoreboard the server fills in (scoreboard_handover.h): publish it once the
  // server is READY. Empty when no scoreboard was asked for.
  base::UniqueFd scoreboard;
};

// As whom the server runs, and the scoreboard the agent creates for it.
struct ServerLaunch {
  std::optional<Credentials> credentials;  // taken before exec; nullopt: the agent's own
  // HOME/servers/NAME/scoreboard: created by the agent and handed over as descriptor 5
  // (--scoreboard-fd), so that a server running as another user has one. Empty: none.
  std::string scoreboard_path;
};

struct LogSettings {
  std::string logger_binary;  // path of corral-logger
  std::string dir;            // HOME/servers/NAME; the log is DIR/log
  uint64_t max_bytes = 0;
  uint32_t keep_files = 0;
};

// corral-server's command line: its spec on descriptor 4, readiness on descriptor 3, its
// scoreboard in `server_dir` (HOME/servers/NAME), where the agent reads its stats. Everything
// the server serves comes from the spec, so nothing of it is a flag.
std::vector<std::string> ServerArgv(const std::string& server_binary,
                                    const std::string& server_dir);

// Spawns the logger, then `argv` with its output going to the logger, `spec` (validated) on
// descriptor 4, as `launch` says (through SpawnChild, which can drop privileges). Errors name
// the step that failed.
absl::StatusOr<SpawnedServer> SpawnServer(const std::vector<std::string>& argv,
                                          const v1::ServerSpec& spec, const LogSettings& log,
                                          const ServerLaunch& launch);

}  // namespace corral::agent
