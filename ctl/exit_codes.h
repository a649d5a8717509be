// corralctl's exit codes, documented in `corralctl --help` and the README. Scripts branch on
// them, so they never change meaning.
#pragma once

#include "absl/status/status.h"

namespace corral::ctl {

inline constexpr int kExitOk = 0;
// The operation ran and failed: a server ended FAILED, or the agent hit an internal error.
inline constexpr int kExitFailed = 1;
// The command line or the spec is wrong (also: a protocol x model pair not built yet).
inline constexpr int kExitUsage = 2;
// No server has that name.
inline constexpr int kExitNotFound = 3;
// Refused because of the current state: the name is taken, or the server is in the wrong state.
inline constexpr int kExitConflict = 4;
// The agent refused the caller: not authenticated (no or unknown token, a refused TLS client
// certificate) or not permitted (the role is too low); or the socket is not ours to open, or
// the default home is not the caller's own. The message says which (docs/remote.md).
inline constexpr int kExitPermission = 5;
// The agent could not be reached (not running, wrong --agent, or it did not answer in time).
inline constexpr int kExitUnreachable = 6;
// Interrupted by Ctrl-C (SIGINT) while following: watch, top, logs -f, events. 128 + SIGINT, as
// a shell reports a command the signal killed.
inline constexpr int kExitInterrupted = 130;

// The exit code for a failed RPC.
int ExitCodeFor(const absl::Status& status);

// From now on Ctrl-C (SIGINT) ends the process with kExitInterrupted, for the commands that
// follow until interrupted. Lines already printed were flushed (each command flushes per line).
void ExitOnInterrupt();

inline constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "    0  success\n"
    "    1  the operation failed (for example the server ended FAILED)\n"
    "    2  usage error: bad flags or an invalid spec\n"
    "    3  no server with that name\n"
    "    4  conflict: the name is taken, or the server's state does not allow it\n"
    "    5  refused: not authenticated (token, TLS certificate) or permission denied (role,\n"
    "       socket, home); the message says which\n"
    "    6  the agent is unreachable (is corral-agent running? see --agent)\n"
    "  ls and stats with --agents or --all: the code of the first agent that failed, after\n"
    "  the table; 0 when every agent answered.\n"
    "  130  interrupted by Ctrl-C (watch, top, logs -f, events)\n";

}  // namespace corral::ctl
