// The supervision state machine: every (state, event) pair a server can meet, and what the
// supervisor does about it, in one table (server_state.cc). Pure: no processes, no clock, so it
// is unit-tested with fake events; Supervisor carries out the actions.
#pragma once

#include <optional>
#include <string_view>

namespace corral::agent {

enum class ServerState { kStarting, kRunning, kBackoff, kStopping, kStopped, kFailed };

enum class ServerEvent {
  kStartRequested,   // Start or Restart asked for it
  kReady,            // the process said READY
  kStartFailed,      // the process said FAILED, or exited before READY
  kReadyTimeout,     // no word from the process within the readiness deadline
  kExited,           // the process ended on its own after READY
  kExitedFatal,      // it ended with the "bad configuration, do not respawn" code
  kStopRequested,    // Stop, Restart or Remove asked for it
  kStopDeadline,     // SIGTERM was not enough within the stop timeout
  kStoppedExit,      // the process ended while stopping
  kBackoffElapsed,   // the restart delay passed
};

enum class Action {
  kNone,
  kSpawn,            // start a new process
  kTerminate,        // SIGTERM the server, arm the stop deadline
  kKill,             // SIGKILL its whole process group
  kKillAndFail,      // SIGKILL its group; the reason is the readiness timeout
  kScheduleRestart,  // arm the restart delay
  kCancelRestart,    // disarm it
};

struct Transition {
  ServerState next;
  Action action;
};

// The transition for `event` in `state`, or nullopt when the event cannot happen there (the
// supervisor logs and ignores it).
std::optional<Transition> NextTransition(ServerState state, ServerEvent event);

std::string_view StateName(ServerState state);
std::string_view EventName(ServerEvent event);

}  // namespace corral::agent
