#include "servers/cooperative/queue.h"

#include "servers/cooperative/timeout_scope.h"
#include "servers/cooperative/where.h"

namespace corral::cooperative {
namespace {

absl::Status ClosedError(const char* action) {
  return absl::FailedPreconditionError(std::string(action) + ": the queue is closed");
}

}  // namespace

absl::Status Queue::Put(void* item, base::Deadline deadline) {
  if (absl::Status s = CheckNotCancelled("queue put"); !s.ok()) return s;
  const base::Deadline until = CapByScope(deadline);
  absl::MutexLock lock(&mu_);
  while (!closed_ && Full()) {
    if (absl::Status s = putters_.Wait(until, "queue put"); !s.ok()) return s;
  }
  if (closed_) return ClosedError("queue put");
  items_.push_back(item);
  getters_.NotifyOne();
  // A putter that was woken for the same free place we just took is woken again by the next Get.
  if (!Full()) putters_.NotifyOne();
  return absl::OkStatus();
}

absl::StatusOr<void*> Queue::Get(base::Deadline deadline) {
  if (absl::Status s = CheckNotCancelled("queue get"); !s.ok()) return s;
  const base::Deadline until = CapByScope(deadline);
  absl::MutexLock lock(&mu_);
  while (items_.empty() && !closed_) {
    if (absl::Status s = getters_.Wait(until, "queue get"); !s.ok()) return s;
  }
  if (items_.empty()) return ClosedError("queue get");
  void* item = items_.front();
  items_.pop_front();
  putters_.NotifyOne();
  if (!items_.empty()) getters_.NotifyOne();
  return item;
}

void Queue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  getters_.NotifyAll();
  putters_.NotifyAll();
}

size_t Queue::size() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

}  // namespace corral::cooperative
