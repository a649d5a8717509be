#include "agent/server_state.h"

#include <array>

namespace corral::agent {
namespace {

using S = ServerState;
using E = ServerEvent;
using A = Action;

struct Row {
  S state;
  E event;
  S next;
  A action;
};

// Read a row as: in `state`, on `event`, go to `next` and do `action`.
constexpr std::array kTable = {
    Row{S::kStopped, E::kStartRequested, S::kStarting, A::kSpawn},
    Row{S::kFailed, E::kStartRequested, S::kStarting, A::kSpawn},
    Row{S::kFatal, E::kStartRequested, S::kStarting, A::kSpawn},
    Row{S::kStopped, E::kAdopted, S::kRunning, A::kNone},

    Row{S::kStarting, E::kReady, S::kRunning, A::kNone},
    Row{S::kStarting, E::kStartFailed, S::kFailed, A::kNone},
    Row{S::kStarting, E::kReadyTimeout, S::kFailed, A::kKillAndFail},
    Row{S::kStarting, E::kExitedRestart, S::kBackoff, A::kScheduleRestart},
    Row{S::kStarting, E::kExitedGiveUp, S::kFatal, A::kNone},
    Row{S::kStarting, E::kExitedBadConfig, S::kFailed, A::kNone},
    Row{S::kStarting, E::kExitedDone, S::kStopped, A::kNone},
    Row{S::kStarting, E::kStopRequested, S::kStopping, A::kTerminate},

    Row{S::kRunning, E::kExitedRestart, S::kBackoff, A::kScheduleRestart},
    Row{S::kRunning, E::kExitedGiveUp, S::kFatal, A::kNone},
    Row{S::kRunning, E::kExitedBadConfig, S::kFailed, A::kNone},
    Row{S::kRunning, E::kExitedDone, S::kStopped, A::kNone},
    Row{S::kRunning, E::kStopRequested, S::kStopping, A::kTerminate},

    Row{S::kBackoff, E::kBackoffElapsed, S::kStarting, A::kSpawn},
    Row{S::kBackoff, E::kStopRequested, S::kStopped, A::kCancelRestart},

    Row{S::kStopping, E::kStopDeadline, S::kStopping, A::kKill},
    Row{S::kStopping, E::kStoppedExit, S::kStopped, A::kNone},
    Row{S::kStopping, E::kStopRequested, S::kStopping, A::kNone},
    // A process may still report on its way down; stopping wins.
    Row{S::kStopping, E::kReady, S::kStopping, A::kNone},
    Row{S::kStopping, E::kStartFailed, S::kStopping, A::kNone},

    // A process that said FAILED (or was killed for not saying READY) exits afterwards.
    Row{S::kFailed, E::kStoppedExit, S::kFailed, A::kNone},
    Row{S::kFailed, E::kStartFailed, S::kFailed, A::kNone},

    // Stopping what does not run is harmless.
    Row{S::kStopped, E::kStopRequested, S::kStopped, A::kNone},
    Row{S::kFailed, E::kStopRequested, S::kFailed, A::kNone},
    Row{S::kFatal, E::kStopRequested, S::kFatal, A::kNone},
};

}  // namespace

std::optional<Transition> NextTransition(ServerState state, ServerEvent event) {
  for (const Row& row : kTable) {
    if (row.state == state && row.event == event) return Transition{row.next, row.action};
  }
  return std::nullopt;
}

std::string_view StateName(ServerState state) {
  switch (state) {
    case S::kStarting:
      return "STARTING";
    case S::kRunning:
      return "RUNNING";
    case S::kBackoff:
      return "BACKOFF";
    case S::kStopping:
      return "STOPPING";
    case S::kStopped:
      return "STOPPED";
    case S::kFailed:
      return "FAILED";
    case S::kFatal:
      return "FATAL";
  }
  return "?";
}

std::string_view EventName(ServerEvent event) {
  switch (event) {
    case E::kStartRequested:
      return "start-requested";
    case E::kReady:
      return "ready";
    case E::kStartFailed:
      return "start-failed";
    case E::kReadyTimeout:
      return "ready-timeout";
    case E::kAdopted:
      return "adopted";
    case E::kExitedRestart:
      return "exited-restart";
    case E::kExitedGiveUp:
      return "exited-give-up";
    case E::kExitedBadConfig:
      return "exited-bad-config";
    case E::kExitedDone:
      return "exited-done";
    case E::kStopRequested:
      return "stop-requested";
    case E::kStopDeadline:
      return "stop-deadline";
    case E::kStoppedExit:
      return "stopped-exit";
    case E::kBackoffElapsed:
      return "backoff-elapsed";
  }
  return "?";
}

}  // namespace corral::agent
