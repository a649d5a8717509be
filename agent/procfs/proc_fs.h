#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/procfs/proc_stat.h"
#include "agent/procfs/proc_status.h"

namespace corral::procfs {

// Reads one process's files under a procfs mount ("/proc", or a directory laid out like it, for
// tests). Each call opens, reads and closes (O_CLOEXEC); nothing is cached, no state: const and
// safe from any thread.
//
// Errors name the file: "read /proc/42/stat: No such file or directory". A process that exits
// between calls gives NotFound (ENOENT and ESRCH both map to it); callers walking many processes
// should skip those.
class ProcFs {
 public:
  explicit ProcFs(std::string root = "/proc") : root_(std::move(root)) {}

  absl::StatusOr<ProcStat> ReadStat(pid_t pid) const;
  absl::StatusOr<ProcStatus> ReadStatus(pid_t pid) const;
  // Field 22 of /proc/PID/stat: start time in clock ticks since boot. (pid, start time) names a
  // process uniquely; a recycled pid has a different start time.
  absl::StatusOr<uint64_t> StartTimeTicks(pid_t pid) const;
  // Direct children, from /proc/PID/task/*/children (every thread's). Unimplemented when the
  // kernel lacks those files (CONFIG_PROC_CHILDREN); scan ListPids() and PPid instead.
  absl::StatusOr<std::vector<pid_t>> ChildrenOf(pid_t pid) const;
  // Entries in /proc/PID/fd: the process's open descriptors. PermissionDenied for another
  // user's process.
  absl::StatusOr<uint32_t> CountOpenFds(pid_t pid) const;
  // Every process (not thread) in the mount, ascending.
  absl::StatusOr<std::vector<pid_t>> ListPids() const;

  const std::string& root() const { return root_; }

 private:
  std::string PidPath(pid_t pid, absl::string_view file) const;

  std::string root_;
};

// Whole file at `path` (opened O_CLOEXEC), for small pseudo-files.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// ProcFs("/proc").StartTimeTicks(pid).
absl::StatusOr<uint64_t> StartTimeTicks(pid_t pid);

}  // namespace corral::procfs
