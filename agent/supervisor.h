// Supervisor: owns every server record, spawns and reaps corral-server processes, and carries
// out the actions of the state machine in server_state.h. Every method must be called in the
// loop thread; results are delivered through callbacks, also in the loop thread, once the
// operation has settled (a Start once the server is RUNNING or FAILED, a Stop once the process
// is gone), so a gRPC handler can finish its call without blocking any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/event_loop.h"
#include "agent/server_state.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

struct SupervisorConfig {
  std::string home;           // servers/NAME/ (log) live below it
  std::string server_binary;  // path of corral-server
  // Wait before spawning a server again after it died on its own.
  std::chrono::milliseconds restart_delay{200};
  // A spawned server that has not said READY or FAILED by then is killed and FAILED.
  std::chrono::milliseconds ready_timeout{10'000};
};

class Supervisor {
 public:
  using ServerCallback = std::function<void(absl::StatusOr<v1::Server>)>;
  using DoneCallback = std::function<void(absl::Status)>;

  Supervisor(EventLoop& loop, SupervisorConfig config);
  ~Supervisor();

  // Validates and adds the server, spawns it, and calls `done` once it is RUNNING or FAILED.
  // Errors (nothing added): INVALID_ARGUMENT, UNIMPLEMENTED, ALREADY_EXISTS.
  void Start(const v1::ServerSpec& spec, ServerCallback done);

  // SIGTERM, then SIGKILL of the process group after `timeout_ms` (0: the spec's). Calls `done`
  // once no process of the server runs. NOT_FOUND for an unknown name.
  void Stop(const std::string& name, uint32_t timeout_ms, ServerCallback done);

  // Stop (if running) then start; `done` once RUNNING or FAILED. NOT_FOUND.
  void Restart(const std::string& name, ServerCallback done);

  // Stop (if running) then forget. NOT_FOUND.
  void Remove(const std::string& name, DoneCallback done);

  std::vector<v1::Server> List() const;
  absl::StatusOr<v1::Server> Get(const std::string& name) const;

  // Stops every server; `done` once none runs. For the agent's own shutdown.
  void StopAll(std::function<void()> done);

 private:
  struct Record;
  struct Waiter;

  Record* Find(const std::string& name) const;
  Record* Find(const std::string& name, uint64_t id) const;
  absl::Status NotFound(const std::string& name) const;

  void Dispatch(Record& record, ServerEvent event, std::string reason = "");
  void Perform(Record& record, Action action);
  void SpawnProcess(Record& record);
  void OnReadinessReadable(Record& record);
  void OnProcessExit(Record& record);
  void CloseReadiness(Record& record);

  // Calls `fire` (once) as soon as `settled` holds for the record, checked after every change.
  void WhenSettled(Record& record, std::function<bool(const Record&)> settled,
                   std::function<void()> fire);
  void FireSettledWaiters(Record& record);

  v1::Server ToProto(const Record& record) const;

  EventLoop& loop_;
  const SupervisorConfig config_;
  uint64_t next_id_ = 1;
  std::map<std::string, std::unique_ptr<Record>> servers_;
};

}  // namespace corral::agent
