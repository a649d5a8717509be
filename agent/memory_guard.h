// MemoryGuard: the memory limit of one running server process (ServerSpec.memory_max_bytes).
// Every interval it sums the RSS of the process's tree from /proc (procfs::MeasureProcessTree,
// as the stats do); above the limit for `samples` samples in a row, it reports once, saying by
// how much, and samples no more: the supervisor restarts the process gracefully and guards the
// next one with a new guard.
//
// Thread-safety: loop thread only, construction and destruction included. Each sample reads a
// few small files per process of the tree (microseconds for a small tree). `on_over` runs from
// a loop task, so it may destroy the guard.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "agent/event_loop.h"
#include "agent/procfs/proc_fs.h"

namespace corral::agent {

class MemoryGuard {
 public:
  struct Options {
    pid_t pid = 0;           // the root of the tree measured
    uint64_t max_bytes = 0;  // > 0
    std::chrono::milliseconds interval{1000};
    uint32_t samples = 3;  // >= 1
  };
  // `reason`: "memory 612 MiB > max 512 MiB for 3 s".
  using OverCallback = std::function<void(std::string reason)>;

  // The first sample is taken one interval from now. `fs` must outlive the guard.
  MemoryGuard(EventLoop& loop, const procfs::ProcFs& fs, Options options, OverCallback on_over);
  ~MemoryGuard();
  MemoryGuard(const MemoryGuard&) = delete;
  MemoryGuard& operator=(const MemoryGuard&) = delete;

  // "memory 612 MiB > max 512 MiB for 3 s": MiB (rounded down) when that still shows the
  // difference, else KiB; the duration is samples x interval. Pure; exposed for tests.
  static std::string Reason(uint64_t rss_bytes, uint64_t max_bytes,
                            std::chrono::milliseconds over_for);

 private:
  void Schedule();
  void Sample();

  EventLoop& loop_;
  const procfs::ProcFs& fs_;
  const Options options_;
  const OverCallback on_over_;
  EventLoop::TimerId timer_ = 0;
  uint32_t over_in_a_row_ = 0;
};

}  // namespace corral::agent
