// StallDetector: a watchdog thread that notices a hub held by one greenlet for longer than a
// bound (a busy loop or a blocking syscall in a handler), while it happens.
//
// Each watched hub counts its switches into and out of greenlets (Hub::activity(): odd while a
// greenlet runs). The watchdog samples the counts every quarter of the bound (at least every
// 50 ms); a count that stays odd and unchanged for the bound is a stall, reported once, with
// how long it has lasted so far (at least the bound; up to one sampling period late). The hub
// thread pays nothing beyond its two relaxed stores per resumption.
//
// Thread affinity: any thread. Report runs on the watchdog thread and must not block for long.
// A hub must be unwatched before it is destroyed (before its thread exits).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "servers/coro/hub.h"

namespace corral::coro {

class StallDetector {
 public:
  struct Stall {
    size_t hub;                        // the index Watch returned
    std::chrono::milliseconds so_far;  // how long the greenlet has held the hub
  };
  using Report = absl::AnyInvocable<void(const Stall&)>;

  // Starts the watchdog thread. `bound` > 0.
  StallDetector(std::chrono::milliseconds bound, Report report);
  // Stops and joins the watchdog thread.
  ~StallDetector();
  StallDetector(const StallDetector&) = delete;
  StallDetector& operator=(const StallDetector&) = delete;

  // Watches `hub` until Unwatch; returns its index, used by Stall and Unwatch.
  size_t Watch(const Hub* hub);
  void Unwatch(size_t index);

  std::chrono::milliseconds bound() const { return bound_; }

 private:
  struct Watched {
    const Hub* hub = nullptr;                     // null: unwatched
    uint64_t seen = 0;                            // activity at the last sample
    std::chrono::steady_clock::time_point since;  // when `seen` was first sampled
    bool reported = false;                        // this stall was reported
  };
  void Loop();
  void Sample(std::chrono::steady_clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::chrono::milliseconds bound_;
  const std::chrono::milliseconds period_;
  Report report_;
  absl::Mutex mu_;
  std::vector<Watched> hubs_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace corral::coro
