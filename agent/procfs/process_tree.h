#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/procfs/proc_fs.h"

namespace corral::procfs {

// `root` and all its live descendants, root first then breadth-first. Uses ProcFs::ChildrenOf and,
// where the kernel lacks the children files, one scan of every process's PPid. Processes that exit
// during the walk are left out. NotFound if `root` itself does not exist.
absl::StatusOr<std::vector<pid_t>> FindProcessTree(const ProcFs& fs, pid_t root);

// Resource use summed over a process tree at one moment.
struct TreeUsage {
  std::vector<pid_t> pids;  // the tree measured, as FindProcessTree returned it (minus leavers)
  // utime + stime of the live processes, seconds.
  double cpu_seconds = 0;
  // cutime + cstime of the live processes: CPU of descendants already exited and waited for
  // (a fork-per-connection server's finished children land here). cpu_seconds plus this never
  // goes down while the root lives, so it is the figure to derive a CPU rate from.
  double reaped_cpu_seconds = 0;
  // Sum of VmRSS, bytes. Pages shared between processes (a forked child's copy-on-write pages,
  // shared libraries) are counted once per process, so this overstates physical memory.
  uint64_t rss_bytes = 0;
  uint64_t threads = 0;   // sum of Threads
  uint64_t open_fds = 0;  // sum of entries in /proc/PID/fd over the processes it could list
  uint32_t fd_dirs_unreadable = 0;  // processes whose fd directory was not listable (permission)

  double total_cpu_seconds() const { return cpu_seconds + reaped_cpu_seconds; }
};

// Finds the tree of `root` and sums it. `ticks_per_second` converts clock ticks; 0 means
// sysconf(_SC_CLK_TCK). NotFound if `root` does not exist. Reads a few files per process: call it
// at the stats interval, not per request. Any thread.
absl::StatusOr<TreeUsage> MeasureProcessTree(const ProcFs& fs, pid_t root,
                                             long ticks_per_second = 0);

}  // namespace corral::procfs
