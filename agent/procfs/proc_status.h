#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::procfs {

// The fields of /proc/PID/status the agent uses.
struct ProcStatus {
  std::string name;                      // Name: (escaped by the kernel: "\n" for a newline)
  pid_t ppid = 0;                        // PPid:
  uint32_t threads = 0;                  // Threads:
  std::optional<uint64_t> vm_rss_bytes;  // VmRSS: converted from kB; absent for kernel threads
};

// Parses the text of /proc/PID/status ("Key:\tvalue" lines). Name, PPid and Threads are required;
// unknown keys are ignored. InvalidArgument on malformed text. Pure: no I/O, any thread.
absl::StatusOr<ProcStatus> ParseProcStatus(absl::string_view text);

}  // namespace corral::procfs
