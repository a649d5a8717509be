// Supervisor::Record: everything the supervisor knows of one server. Private to the
// supervisor's translation units (supervisor*.cc); loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/event_loop.h"
#include "agent/exit_info.h"
#include "agent/health_check.h"
#include "agent/health_watch.h"
#include "agent/http_probe.h"
#include "agent/listen_sockets.h"
#include "agent/server_state.h"
#include "agent/supervisor.h"
#include "agent/tree_kill.h"
#include "base/unique_fd.h"
#include "servers/stats/snapshot.h"
#include "spec/rollout_fields.h"

namespace corral::agent {

struct Supervisor::Waiter {
  std::function<bool(const Record&)> settled;
  // OK once `settled` holds; an error when the wait is cut short (the record was erased, or
  // the agent is shutting down), so every waiting call is answered.
  std::function<void(absl::Status)> fire;
};

// One process slot of a server: spec.instances of them share the server's sockets, each
// supervised on its own (state machine, pid, restarts, backoff, FATAL).
struct Supervisor::Instance {
  // What the process is to the server: one of its instances, a reload's new process waiting to
  // be READY, or an old process draining after a reload replaced it.
  enum class Role { kServing, kCandidate, kDraining };

  uint32_t index = 0;  // which instance (a candidate: the one it replaces)
  // Unique in the agent: what pending callbacks find it by, whichever list it moves to.
  uint64_t serial = 0;
  Role role = Role::kServing;
  ServerState state = ServerState::kStopped;

  // The current process, if any.
  pid_t pid = 0;
  uint64_t pid_start_ticks = 0;  // /proc start time; with the pid, names the process
  base::UniqueFd pidfd;
  // The scoreboard this process fills in, unnamed until it is READY (scoreboard_handover.h).
  base::UniqueFd scoreboard;
  absl::Time start_time;
  std::string bound_address;
  bool ready = false;    // this process said READY
  bool adopted = false;  // this process was started by a previous agent
  TreeKill tree;         // its descendants, as seen while stopping
  // CORRAL_SERVER=NAME:TOKEN, in this process's environment and so its descendants': how a stop
  // finds a daemonised grandchild that left the tree (TreeKill::SnapshotTagged). Empty for an
  // adopted process (the previous agent's token is not kept).
  std::string tree_tag;
  // What the process said on NOTIFY_SOCKET: the last STATUS=, and MAINPID= (a process of its
  // tree, also accepted as a sender).
  std::string status;
  pid_t notify_main_pid = 0;
  // The notify messages of the current one-second window, bounded (kMaxNotifyPerSecond).
  absl::Time notify_window;
  uint32_t notify_count = 0;
  // The running `ready` check of a command server: a delay:MS timer or an http:PATH probe.
  EventLoop::TimerId ready_delay_timer = 0;
  // The watchdog (spec.watchdog_ms), armed once READY: the last WATCHDOG=1, and why the
  // process was killed when a check failed (the restart's reason starts with it).
  absl::Time last_watchdog;
  EventLoop::TimerId watchdog_timer = 0;
  std::string health_failure;
  std::unique_ptr<HttpProbe> ready_probe;
  // The liveness probe and memory guard of the process, once READY (supervisor_health.cc).
  HealthWatch health;

  uint32_t restarts = 0;
  uint32_t consecutive_failures = 0;
  std::chrono::milliseconds backoff_delay{0};
  std::optional<ExitInfo> last_exit;
  std::string reason;
  absl::Time next_start_time;

  EventLoop::TimerId timer = 0;  // the one deadline that matters in the current state
};

// A rolling reload (ReloadServer, issue 22): one instance at a time, a new process is started
// on the held sockets; once it is READY it takes the instance's place and the old process is
// told to drain; with a check window (rollout gates) the next instance waits until this one's
// own figures passed. Any failure of a new process, or a breach of a gate, turns the reload into
// a rollback: the instances it replaced are replaced again, one at a time and in the same way,
// by new processes of the old spec, so it ends with every instance on the old spec.
struct Supervisor::ReloadRun {
  v1::ServerSpec spec;  // the new spec; the record's becomes it once every instance is replaced
  spec::RolloutGates gates;
  uint32_t next = 0;  // the instance being replaced (or restored)
  std::unique_ptr<Instance> candidate;
  // By index: the instance runs a process of `spec` (this reload replaced it).
  std::vector<bool> on_new;
  // Rolling back: candidates run the old spec and replace the instances on `spec`; `failure`
  // says why (the ROLLED_BACK reason).
  bool restoring = false;
  absl::Status failure;
  // Each instance's gate outcome so far, for RELOADED.
  std::vector<std::string> verdicts;
  absl::Time started;
  std::vector<ServerCallback> done;

  // The check window of the instance just replaced (supervisor_rollout.cc): its serial and pid,
  // its scoreboard as read at READY, the timer ending the window, and a command server's
  // health probe run through it (the first failure ends the window).
  uint64_t checking = 0;
  pid_t checking_pid = 0;
  std::optional<stats::Snapshot> base;
  EventLoop::TimerId check_timer = 0;
  std::unique_ptr<HealthCheck> probe;
};

struct Supervisor::Record {
  uint64_t id = 0;  // distinguishes a removed-then-re-added server in pending callbacks
  v1::ServerSpec spec;
  // spec.instances of them (at least one), by index.
  std::vector<std::unique_ptr<Instance>> instances;

  // The sockets the agent holds for the server (listen_sockets.h): bound before its first
  // process, handed to every process of every instance, kept across restarts.
  std::vector<HeldSocket> sockets;
  // A Restart is under way: its stop keeps the sockets for the process it starts next.
  bool keep_sockets = false;
  // After an adoption whose sockets could not be recovered from the adopted processes
  // (socket_recovery.h), the agent holds none: the addresses to bind again, the same ports,
  // once those processes have gone.
  std::vector<v1::ListenSocket> rebind;

  uint32_t stop_timeout_override_ms = 0;
  // A Remove is under way: nothing may start the server again (a racing Restart would spawn a
  // process the erase then orphans); Restart and pending starts answer ABORTED.
  bool removing = false;

  std::vector<Waiter> waiters;

  // The reload under way (supervisor_reload.cc), and the old processes it replaced that are
  // still draining (SIGTERMed; stopped at their stop timeout).
  std::unique_ptr<ReloadRun> reload;
  std::vector<std::unique_ptr<Instance>> draining;
  // How the last reload ended ("reloaded ...", "rolled back ..."), for `get`.
  std::string last_reload;

  // The server as a whole, for views and the state file (supervisor_record.cc): the most
  // telling of its instances' states (STOPPING, then one all share, then RUNNING, ...).
  ServerState state() const;
  Instance& first() const { return *instances.front(); }
};

}  // namespace corral::agent
