// Spawner: starts server processes, corral-server or a command server's program, with a
// vfork+exec (SpawnChild, never a fork of the multi-threaded agent; design decision 1) that can
// also drop privileges. Each gets its own process group, so a stop can signal its whole tree;
// the sockets the agent holds for it from descriptor 3 on, the systemd way (LISTEN_FDS,
// LISTEN_PID, LISTEN_FDNAMES; design decisions 8 and 18); NOTIFY_SOCKET for its readiness; its log
// on stdout and stderr, /dev/null on stdin, default signal dispositions and an empty signal mask.
// corral-server also gets its validated ServerSpec (a sealed memfd; design decision 9) and its
// scoreboard on the two descriptors after the sockets, their numbers on its command line. Its
// stdout and stderr are a pipe to its own corral-logger (agent/logger), spawned first in a process
// group of its own, so the logger drains the last lines after the server dies and outlives an agent
// restart.
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
  base::UniqueFd logger_pidfd;  // the logger's; it exits once the server's output is closed
  // The unnamed scoreboard the server fills in (scoreboard_handover.h): publish it once the
  // server is READY. Empty when no scoreboard was asked for.
  base::UniqueFd scoreboard;
};

// As whom and where the server runs, what it is handed, and the scoreboard the agent creates.
struct ServerLaunch {
  std::optional<Credentials> credentials;  // taken before exec; nullopt: the agent's own
  // corral-server only: HOME/servers/NAME/scoreboard, created by the agent and handed over
  // (--scoreboard-fd), so that a server running as another user has one. Empty: none.
  std::string scoreboard_path;
  // The sockets the agent holds, placed from descriptor 3 on in this order (not owned).
  std::vector<int> listen_fds;
  // The whole environment, LISTEN_FDS, LISTEN_FDNAMES and NOTIFY_SOCKET included (SpawnChild
  // adds LISTEN_PID when there are sockets).
  std::vector<std::string> env;
  std::string cwd;  // empty: the agent's
  std::optional<mode_t> umask;
  uint64_t max_open_files = 0;
};

struct LogSettings {
  std::string logger_binary;  // path of corral-logger
  std::string dir;            // HOME/servers/NAME; the log is DIR/log
  uint64_t max_bytes = 0;
  uint32_t keep_files = 0;
};

// corral-server's command line: its spec on the descriptor after its `socket_count` sockets, its
// scoreboard in `server_dir` (HOME/servers/NAME), where the agent reads its stats. Everything
// the server serves comes from the spec, so nothing of it is a flag.
std::vector<std::string> ServerArgv(const std::string& server_binary, const std::string& server_dir,
                                    size_t socket_count);

// Spawns the logger, then `argv` with its output going to the logger, as `launch` says (through
// SpawnChild, which can drop privileges); with `spec` (corral-server: validated) on the
// descriptor after the sockets. Errors name the step that failed; a program that cannot be
// executed reads `exec /usr/bin/python4: No such file or directory`.
absl::StatusOr<SpawnedServer> SpawnServer(const std::vector<std::string>& argv,
                                          const v1::ServerSpec* spec, const LogSettings& log,
                                          const ServerLaunch& launch);

}  // namespace corral::agent
