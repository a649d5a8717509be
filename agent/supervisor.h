// Supervisor: owns every server record, spawns, adopts and reaps server processes (corral-server,
// or any program for a command server), holds their sockets (listen_sockets.h), serves their
// NOTIFY_SOCKET (notify_socket.h), and
// carries out the actions of the state machine in server_state.h, with the restart policy of
// restart_policy.h deciding what a process exit means. Every method must be called in the loop
// thread; results are delivered through callbacks, also in the loop thread, once the operation
// has settled (a Start once the server is RUNNING, BACKOFF, FAILED or FATAL, a Stop once no
// process is left), so a gRPC handler can finish its call without blocking any thread.
//
// The desired state is saved to HOME/state.pb (state_file.h) before every operation acts and
// after every process change, so a new agent can Restore it and adopt what still runs.
//
// Implementation: supervisor.cc (operations, dispatch), supervisor_process.cc (spawn,
// readiness, exit, adoption), supervisor_record.cc (state file, proto views, events),
// supervisor_health.cc (health probe, memory guard).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/child_reaper.h"
#include "agent/event_bus.h"
#include "agent/event_loop.h"
#include "agent/notify_socket.h"
#include "agent/run_as.h"
#include "agent/server_state.h"
#include "corral/v1/agent.pb.h"
#include "corral/v1/server.pb.h"
#include "servers/stats/snapshot.h"

namespace corral::agent {

struct NotifyMessage;  // notify_message.h
struct SpawnedServer;  // spawner.h

struct SupervisorConfig {
  std::string home;           // state.pb and servers/NAME/ (log) live below it
  std::string server_binary;  // path of corral-server
  std::string logger_binary;  // path of corral-logger
  RunAsPolicy run_as;         // as whom servers may run (run_as.h), checked at every spawn
};

class Supervisor {
 public:
  using ServerCallback = std::function<void(absl::StatusOr<v1::Server>)>;
  using DoneCallback = std::function<void(absl::Status)>;

  // `loop` and `events` must outlive the supervisor. `notify` is the agent's NOTIFY_SOCKET,
  // watched from now on.
  Supervisor(EventLoop& loop, EventBus& events, SupervisorConfig config, NotifySocket notify);
  // Stops watching; the server processes keep running (an agent restart adopts them).
  ~Supervisor();

  // Takes over the servers of a saved state: adopts each process that is still the one
  // recorded (same pid and start time) and had reported READY, spawns the ones that should run
  // and do not, and keeps the others STOPPED, FAILED or FATAL. Call once, before any other
  // method.
  void Restore(const v1::StateFile& state);

  // Every operation below calls `done` exactly once, also when the server is removed under it
  // (ABORTED or NOT_FOUND) and when the agent shuts down meanwhile (UNAVAILABLE). Once Close()
  // or StopAll() has been called they answer UNAVAILABLE at once.

  // Validates and adds the server, saves the state, spawns it, and calls `done` once it is
  // RUNNING, BACKOFF, FAILED or FATAL. Errors (nothing added): INVALID_ARGUMENT, UNIMPLEMENTED,
  // ALREADY_EXISTS, FAILED_PRECONDITION when the state file cannot be written.
  void Start(const v1::ServerSpec& spec, ServerCallback done);

  // SIGTERM, then SIGKILL of the whole process tree after `timeout_ms` (0: the spec's). Calls
  // `done` once no process of the server runs. NOT_FOUND, FAILED_PRECONDITION (state file).
  void Stop(const std::string& name, uint32_t timeout_ms, ServerCallback done);

  // Stop (if running) then start; `done` as for Start. NOT_FOUND, FAILED_PRECONDITION, ABORTED
  // when a Remove of the server is under way or comes while this waits.
  void Restart(const std::string& name, ServerCallback done);

  // Stop (if running) then forget. From the call on, the server cannot be started again (see
  // Restart); it stays listed, STOPPING, until its process has gone. NOT_FOUND,
  // FAILED_PRECONDITION.
  void Remove(const std::string& name, DoneCallback done);

  // A rolling reload (issue 22): for each instance in turn, a new process (of `spec` when not
  // null, else of the current spec) starts on the sockets the agent holds; once it is READY it
  // takes the instance's place and the old process is SIGTERMed to drain. `done` once every
  // instance is replaced (the spec is then the new one), or once a new process exits, says
  // FAILED or is not READY in time: then ABORTED with the reason, that process is killed, the
  // old processes keep serving and the spec stays as it was. INVALID_ARGUMENT (a bad spec, other
  // sockets, another instance count), FAILED_PRECONDITION (an instance not RUNNING, a reload
  // already under way), NOT_FOUND.
  //
  // Rollout gates (issue 22 item 3): with a check window (the new spec's rollout_* fields, or
  // `overrides`' fields when set) each new instance is judged by its own figures before the next
  // is replaced; a breach, like any failure of a new process, rolls the reload back: the
  // instances it replaced get new processes of the old spec, one at a time, old-before-new, and
  // `done` is called (ABORTED, "rolled back web: p99 84 ms > 50 ms") once every instance runs
  // the old spec again.
  void Reload(const std::string& name, const v1::ServerSpec* spec, ServerCallback done,
              const v1::ReloadRequest* overrides = nullptr);

  // Scale (issue 22 item 5): `instances` new instances start on the held sockets (`done` once
  // each is RUNNING; one that fails is stopped and the count stays) or the highest-indexed
  // ones drain (`done` once they are gone). INVALID_ARGUMENT, FAILED_PRECONDITION (not
  // RUNNING, a reload under way), NOT_FOUND. Pool size and hubs go through Reload.
  void ScaleInstances(const std::string& name, uint32_t instances, ServerCallback done);
  // The Scale rpc: instances as above, pool_size or hubs by a Reload with the new value.
  void Scale(const v1::ScaleRequest& request, ServerCallback done);

  // A new spec for a server (UpdateServer, issue 22 item 4; supervisor_update.cc), each changed
  // field applied as spec/field_apply.h says: when every one applies at once, or the server has
  // no process (STOPPED, FAILED, FATAL), the record takes the spec (saved first); otherwise a
  // Reload with it. `done` with the changes and the server after (with `dry_run`, before).
  // NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION (state file; a change needing new
  // processes of a server not RUNNING, or of its sockets or instance count), Reload's errors.
  using UpdateCallback = std::function<void(absl::StatusOr<v1::UpdateServerResponse>)>;
  void Update(const v1::ServerSpec& spec, bool dry_run, UpdateCallback done);

  std::vector<v1::Server> List() const;
  absl::StatusOr<v1::Server> Get(const std::string& name) const;

  // HOME/servers/NAME, where the server's log lives. NOT_FOUND.
  absl::StatusOr<std::string> LogDir(const std::string& name) const;

  // Stops every server; `done` once none runs. For `--stop-servers-on-exit`: the saved state is
  // left as it was, so a new agent on this home starts the same servers again. No save happens
  // after this call.
  void StopAll(std::function<void()> done);

  // For the agent's shutdown: answers every call still waiting with UNAVAILABLE and refuses
  // new operations, so the gRPC server's Shutdown has no call left to wait for. The servers
  // are left as they are.
  void Close();

 private:
  struct Record;
  struct Instance;
  struct ReloadRun;
  struct Waiter;

  Record* Find(const std::string& name) const;
  Record* Find(const std::string& name, uint64_t id) const;
  // The process slot `serial` of the server (name, id), if both still exist: an instance, a
  // reload's new process, or an old one draining.
  Instance* Find(const std::string& name, uint64_t id, uint64_t serial) const;
  Record& Add(const v1::ServerSpec& spec);
  static absl::Status NotFound();
  static absl::Status ShuttingDown();
  // Saves the stopped state and begins the stop; `done` once no process is left. Nothing is
  // done on error (the state file could not be written).
  absl::Status BeginStop(Record& record, uint32_t timeout_ms, ServerCallback done);
  void StartExisting(Record& record, ServerCallback done);
  // Removes `name` from the table, stops watching its descriptors, and cuts every wait on it
  // short (ABORTED). The record has no process left (Remove waited for that).
  void Erase(const std::string& name);

  // supervisor.cc
  // Feeds `event` to every instance of the server.
  void DispatchAll(Record& record, ServerEvent event);
  void Dispatch(Record& record, Instance& instance, ServerEvent event, std::string reason = "");
  void WhenSettled(Record& record, std::function<bool(const Record&)> settled,
                   std::function<void(absl::Status)> fire);
  void FireSettledWaiters(Record& record);

  // supervisor_process.cc
  void Perform(Record& record, Instance& instance, Action action);
  void SpawnProcess(Record& record, Instance& instance);
  // Binds the sockets if none are held, then spawns corral-server or the command.
  absl::StatusOr<SpawnedServer> Launch(Record& record, Instance& instance, const std::string& dir);
  bool TryAdopt(Record& record, Instance& instance, const v1::InstanceRecord& saved);
  absl::Status WatchProcess(Record& record, Instance& instance);
  void OnProcessExit(Record& record, Instance& instance);
  void ForgetProcess(Record& record, Instance& instance);
  // After adoption: copies the server's sockets out of an adopted process (socket_recovery.h)
  // so the agent holds them again; on failure keeps `rebind` for a later bind.
  void RecoverHeldSockets(Record& record);
  // Closes the sockets the agent holds for the server (stopped for good, failed, removed).
  void ReleaseSockets(Record& record);
  // HOME/servers/NAME for instance 0, HOME/servers/NAME/instance-I for the others: where the
  // instance's log and scoreboard live. Created if missing.
  std::string InstanceDir(const Record& record, const Instance& instance) const;

  // supervisor_notify.cc: readiness
  void OnNotifyReadable();
  // The server and instance whose process `pid` is (its main process, its MAINPID, or a
  // descendant of it); nulls when none.
  std::pair<Record*, Instance*> ServerOfPid(pid_t pid) const;
  void OnNotify(Record& record, Instance& instance, pid_t sender, const NotifyMessage& message);
  // Starts the command server's `ready` check (delay or http); notify needs none.
  void StartReadyCheck(Record& record, Instance& instance);
  void StopReadyCheck(Instance& instance);
  // The process is ready: publishes its scoreboard, then READY.
  void MarkReady(Record& record, Instance& instance);
  // The watchdog's next check, at the last WATCHDOG=1 plus spec.watchdog_ms.
  void ArmWatchdog(Record& record, Instance& instance);
  void StopWatchdog(Instance& instance);
  // SIGKILLs the tree of a process the loop could not watch, and waits for it (our child).
  void AbandonProcess(Record& record, Instance& instance, const absl::Status& why);

  // supervisor_reload.cc
  // The spec `instance` runs: a reload's for its new processes and the instances it replaced.
  const v1::ServerSpec& SpecOf(const Record& record, const Instance& instance) const;
  void StartCandidate(Record& record);
  // Called by Dispatch when a reload's new process or a draining one changed state.
  void OnReloadProcessChanged(Record& record, Instance& instance);
  void CandidateReady(Record& record);
  // The instance just replaced passed (or needs no check): the next one, or the end.
  void AdvanceReload(Record& record);
  // A new process failed or a gate tripped: rolls back the instances already replaced, then
  // ends the reload with `why`.
  void FailReload(Record& record, absl::Status why);
  void NextRestore(Record& record);
  // Kills the reload's new process, if any, and forgets it.
  void DropCandidate(Record& record, const absl::Status& why);
  // Ends the reload now, as it is: OK once every instance was replaced, else the reason it
  // failed (a stop does not wait for a rollback).
  void EndReload(Record& record, absl::Status outcome);

  // supervisor_rollout.cc: the check window of the instance just replaced.
  void BeginCheck(Record& record, Instance& fresh);
  void EndCheck(Record& record);
  void StopCheck(ReloadRun& reload);
  // The scoreboard at the instance's path, if it is this process's (published at READY).
  absl::StatusOr<stats::Snapshot> ReadOwnScoreboard(const Record& record,
                                                    const Instance& instance) const;
  // Restore: the new process of a reload the previous agent did not finish is killed.
  void KillInterruptedCandidate(const v1::ServerRecord& saved);

  // supervisor_scale.cc
  void ScaleUp(Record& record, uint32_t instances, ServerCallback done);
  void ScaleDown(Record& record, uint32_t instances, ServerCallback done);
  // Where a reload is, for `get`; "" when none runs.
  std::string ReloadStep(const Record& record) const;

  // supervisor_health.cc: the liveness probe and the memory guard of a RUNNING process of an
  // instance (spec.health, spec.memory_max_bytes). Each instance has its own: the memory guard
  // measures that instance's tree; the probe goes to the shared socket, so with several
  // instances it proves that the server answers, not which instance does.
  void StartHealthWatch(Record& record, Instance& instance);
  void StopHealthWatch(Instance& instance);
  // A check of process `pid` of instance `serial` failed: an UNHEALTHY event, then a graceful
  // restart of that process (SIGTERM, then SIGKILL of the tree after stop_timeout_ms); the exit
  // goes through the restart policy, the reason starting with `why`.
  void OnUnhealthy(const std::string& name, uint64_t id, uint64_t serial, pid_t pid,
                   const std::string& why);

  // supervisor_record.cc
  // Saves the state with `name` replaced by `replacement` (or left out when null). The error
  // says which file could not be written; nothing is changed then.
  absl::Status SaveState(const std::string& name, const v1::ServerRecord* replacement);
  // Saves the current state; a failure is logged (the process change already happened).
  void SaveStateOrWarn();
  v1::ServerRecord ToRecord(const Record& record, v1::State desired) const;
  v1::Server ToProto(const Record& record) const;
  // An event about the server; `instance` is the one it concerns (null: the whole server).
  void Publish(const Record& record, const Instance* instance, v1::Event::Kind kind,
               const std::string& reason = "");

  EventLoop& loop_;
  EventBus& events_;
  const SupervisorConfig config_;
  NotifySocket notify_;
  ChildReaper loggers_;
  std::mt19937_64 random_;
  uint64_t next_id_ = 1;
  std::map<std::string, std::unique_ptr<Record>> servers_;
  std::string last_saved_;  // the bytes of the last successful save, to skip identical writes
  // No saves while Restore has added only part of the servers, nor once StopAll has begun.
  bool saves_paused_ = false;
  // StopAll or Close was called: new operations answer UNAVAILABLE, nothing starts again.
  bool closing_ = false;
};

}  // namespace corral::agent
