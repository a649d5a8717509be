// Supervisor::Record: everything the supervisor knows of one server. Private to the
// supervisor's translation units (supervisor*.cc); loop thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/event_loop.h"
#include "agent/exit_info.h"
#include "agent/server_state.h"
#include "agent/supervisor.h"
#include "agent/tree_kill.h"
#include "base/unique_fd.h"

namespace corral::agent {

struct Supervisor::Waiter {
  std::function<bool(const Record&)> settled;
  // OK once `settled` holds; an error when the wait is cut short (the record was erased, or
  // the agent is shutting down), so every waiting call is answered.
  std::function<void(absl::Status)> fire;
};

struct Supervisor::Record {
  uint64_t id = 0;  // distinguishes a removed-then-re-added server in pending callbacks
  v1::ServerSpec spec;
  ServerState state = ServerState::kStopped;

  // The current process, if any.
  pid_t pid = 0;
  uint64_t pid_start_ticks = 0;  // /proc start time; with the pid, names the process
  base::UniqueFd pidfd;
  base::UniqueFd readiness;
  // The scoreboard this process fills in, unnamed until it is READY (scoreboard_handover.h).
  base::UniqueFd scoreboard;
  std::string readiness_buffer;
  absl::Time start_time;
  std::string bound_address;
  bool ready = false;    // this process said READY
  bool adopted = false;  // this process was started by a previous agent
  TreeKill tree;         // its descendants, as seen while stopping

  uint32_t restarts = 0;
  uint32_t consecutive_failures = 0;
  std::chrono::milliseconds backoff_delay{0};
  std::optional<ExitInfo> last_exit;
  std::string reason;
  absl::Time next_start_time;
  uint32_t stop_timeout_override_ms = 0;
  // A Remove is under way: nothing may start the server again (a racing Restart would spawn a
  // process the erase then orphans); Restart and pending starts answer ABORTED.
  bool removing = false;

  EventLoop::TimerId timer = 0;  // the one deadline that matters in the current state
  std::vector<Waiter> waiters;
};

}  // namespace corral::agent
