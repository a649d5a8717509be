#include "servers/coro/pool.h"

#include <vector>

namespace corral::coro {

Pool::Pool(size_t capacity) : capacity_(capacity), slots_(capacity) {}

Pool::~Pool() {
  // The tasks' done-callbacks point at this pool: they must all have run before it goes.
  while (!running_.empty()) {
    AnyHandle h = running_.begin()->second;
    running_.erase(running_.begin());
    try {
      h.Kill();
    } catch (...) {
    }
  }
}

void Pool::Track(const AnyHandle& h) {
  running_.emplace(h.task().get(), h);
  h.task()->AddDoneCallback([this](Task& t) {
    if (running_.erase(&t) == 0) return;  // already forgotten by ~Pool
    slots_.Release();
    if (running_.empty()) idle_waiters_.NotifyAll();
  });
}

bool Pool::Join(Deadline deadline) {
  while (!running_.empty()) {
    if (!idle_waiters_.Wait(deadline)) return running_.empty();
  }
  return true;
}

bool Pool::Kill(Deadline deadline) {
  std::vector<AnyHandle> victims;
  victims.reserve(running_.size());
  for (const auto& [task, handle] : running_) victims.push_back(handle);
  for (const AnyHandle& h : victims) h.Kill(/*block=*/false);
  return Join(deadline);
}

}  // namespace corral::coro
