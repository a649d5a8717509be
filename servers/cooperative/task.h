// Task: a function run concurrently with its spawner, joined once. Spawned from a greenlet on a
// hub it is a greenlet on that hub (it runs when the spawner next parks); spawned anywhere else
// it is a thread. Either way any task may join it: the completion is an Event.
//
// A sub-greenlet is not tied to its spawner: a spawner that is killed leaves it running, and it
// is killed with its hub (its cooperative calls then return CANCELLED). Joining waits for its
// function to return, however it ended.
//
// Thread affinity: Spawn from any thread or greenlet; Join from any, once.
#pragma once

#include <memory>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/deadline.h"
#include "servers/cooperative/event.h"

namespace corral::cooperative {

class Task {
 public:
  // RESOURCE_EXHAUSTED when no thread could be started.
  static absl::StatusOr<std::unique_ptr<Task>> Spawn(absl::AnyInvocable<void()> fn);

  // Joins a thread that is still running (it is not detached: a process must not end under it).
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // OK once the function has returned; DEADLINE_EXCEEDED (still running). A caller that was
  // cancelled still waits (the task may use what it owns); CANCELLED only when it is killed
  // again during the wait (the hub's end).
  absl::Status Join(base::Deadline deadline);

 private:
  Task() = default;

  // Shared with the running body, which may still be on its way out when a joiner frees this.
  std::shared_ptr<Event> done_ = std::make_shared<Event>();
  std::thread thread_;  // not joinable for a greenlet
};

}  // namespace corral::cooperative
