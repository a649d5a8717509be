// The supervision state machine: every (state, event) pair a server can meet, and what the
// supervisor does about it, in one table (server_state.cc). Pure: no processes, no clock, so it
// is unit-tested with fake events; Supervisor carries out the actions.
#pragma once

#include <optional>
#include <string_view>

namespace corral::agent {

enum class ServerState {
  kStarting,
  kRunning,
  kBackoff,
  kStopping,
  kStopped,
  kFailed,  // cannot start as configured; waits for Restart
  kFatal,   // the restart policy gave up; waits for Restart
};

// Process exits arrive already classified by the restart policy (restart_policy.h), so the
// table stays a plain lookup.
enum class ServerEvent {
  kStartRequested,   // Start or Restart asked for it, or a new agent found it dead
  kAdopted,          // a new agent found its process alive and took it over
  kReady,            // the process said READY
  kStartFailed,      // the process said FAILED (port in use, bad root), or the spawn failed
  kReadyTimeout,     // no word from the process within the readiness deadline
  kExitedRestart,    // it ended on its own; the policy restarts it after a delay
  kExitedGiveUp,     // it ended on its own; the policy gives up
  kExitedBadConfig,  // it ended with the "bad configuration, do not respawn" code
  kExitedDone,       // it ended cleanly and the policy does not restart clean exits
  kStopRequested,    // Stop, Restart or Remove asked for it
  kStopDeadline,     // SIGTERM was not enough within the stop timeout
  kStoppedExit,      // the process ended while nothing depended on how (stopping, failed)
  kBackoffElapsed,   // the restart delay passed
};

enum class Action {
  kNone,
  kSpawn,            // start a new process
  kTerminate,        // SIGTERM the server, arm the stop deadline
  kKill,             // SIGKILL its whole process tree
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
