#include "servers/coro/stall_detector.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"

namespace corral::coro {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

StallDetector::StallDetector(milliseconds bound, Report report)
    : bound_(bound),
      period_(std::clamp(bound / 4, milliseconds(1), milliseconds(50))),
      report_(std::move(report)),
      thread_([this] { Loop(); }) {}

StallDetector::~StallDetector() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

size_t StallDetector::Watch(const Hub* hub) {
  absl::MutexLock lock(&mu_);
  Watched w;
  w.hub = hub;
  w.seen = hub->activity();
  w.since = steady_clock::now();
  for (size_t i = 0; i < hubs_.size(); ++i) {
    if (hubs_[i].hub == nullptr) {
      hubs_[i] = w;
      return i;
    }
  }
  hubs_.push_back(w);
  return hubs_.size() - 1;
}

void StallDetector::Unwatch(size_t index) {
  absl::MutexLock lock(&mu_);
  if (index < hubs_.size()) hubs_[index].hub = nullptr;
}

void StallDetector::Loop() {
  absl::MutexLock lock(&mu_);
  const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::FromChrono(period_))) {
    Sample(steady_clock::now());
  }
}

void StallDetector::Sample(steady_clock::time_point now) {
  for (size_t i = 0; i < hubs_.size(); ++i) {
    Watched& w = hubs_[i];
    if (w.hub == nullptr) continue;
    const uint64_t activity = w.hub->activity();
    if (activity != w.seen || activity % 2 == 0) {
      w.seen = activity;
      w.since = now;
      w.reported = false;
      continue;
    }
    const auto held = std::chrono::duration_cast<milliseconds>(now - w.since);
    if (!w.reported && held >= bound_) {
      w.reported = true;
      // Under mu_: an Unwatch (the hub's thread ending) waits for the report to finish.
      report_(Stall{i, held});
    }
  }
}

}  // namespace corral::coro
