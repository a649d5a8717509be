#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::procfs {

// The fields of /proc/PID/stat the agent uses (proc(5) numbering in comments). Times are in clock
// ticks (sysconf(_SC_CLK_TCK), USER_HZ), as the kernel reports them.
struct ProcStat {
  pid_t pid = 0;                  // (1)
  std::string comm;               // (2) without the parentheses; may hold spaces and ')'
  char state = '?';               // (3) R, S, D, Z, T, I, ...
  pid_t ppid = 0;                 // (4)
  uint64_t flags = 0;             // (9) PF_* flags
  uint64_t utime_ticks = 0;       // (14) user CPU of this process (all its threads)
  uint64_t stime_ticks = 0;       // (15) system CPU
  uint64_t cutime_ticks = 0;      // (16) user CPU of children it has waited for
  uint64_t cstime_ticks = 0;      // (17) system CPU of children it has waited for
  int64_t num_threads = 0;        // (20)
  uint64_t start_time_ticks = 0;  // (22) since boot; with the pid, identifies the process
  uint64_t vsize_bytes = 0;       // (23)
  int64_t rss_pages = 0;          // (24)

  bool is_kernel_thread() const { return (flags & 0x00200000u) != 0; }  // PF_KTHREAD
};

// Parses the text of /proc/PID/stat. The command name is everything between the first '(' and
// the LAST ')', since it may itself contain spaces and parentheses. InvalidArgument on malformed
// text. Pure: no I/O, any thread.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

}  // namespace corral::procfs
