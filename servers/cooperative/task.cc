#include "servers/cooperative/task.h"

#include <system_error>
#include <utility>

#include "servers/cooperative/where.h"
#include "servers/coro/task.h"

namespace corral::cooperative {

absl::StatusOr<std::unique_ptr<Task>> Task::Spawn(absl::AnyInvocable<void()> fn) {
  std::unique_ptr<Task> task(new Task());
  if (coro::Hub* hub = CurrentHub(); hub != nullptr) {
    // The hub keeps the greenlet alive until it finishes; the done callback runs however it
    // finishes (returned, or killed before or after it started), so a joiner is always woken.
    std::shared_ptr<coro::Task> greenlet = coro::Task::Create(
        [fn = std::move(fn)]() mutable -> std::any {
          fn();
          return {};
        },
        *hub);
    greenlet->AddDoneCallback([done = task->done_](coro::Task&) { done->Set(); });
    return task;
  }
  try {
    task->thread_ = std::thread([fn = std::move(fn), done = task->done_]() mutable {
      fn();
      done->Set();
    });
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(std::string("spawn a task: start a thread: ") + e.what());
  }
  return task;
}

Task::~Task() {
  if (thread_.joinable()) thread_.join();
}

absl::Status Task::Join(base::Deadline deadline) {
  // Even a cancelled caller waits: the task may use what the caller owns (the chat's writer
  // writes to the caller's connection), so returning first would leave it on freed memory.
  absl::Status s = done_->Wait(deadline, /*even_if_cancelled=*/true);
  if (!s.ok()) return s;
  if (thread_.joinable()) thread_.join();  // its function has returned: this is quick
  return absl::OkStatus();
}

}  // namespace corral::cooperative
