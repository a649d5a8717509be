// ExitInfo: how a process ended, decoded once from waitid()'s siginfo, so the rest of the agent
// never looks at raw wait statuses.
#pragma once

#include <signal.h>

#include <string>

#include "absl/time/time.h"

namespace corral::agent {

struct ExitInfo {
  bool signaled = false;  // killed by `signal`; otherwise exited with `code`
  int code = 0;
  int signal = 0;
  bool core_dumped = false;
  // The process was adopted from a previous agent: not our child, so waitid() cannot tell how
  // it ended.
  bool unknown = false;
  absl::Time time;

  static ExitInfo Unknown(absl::Time when);

  static ExitInfo FromSiginfo(const siginfo_t& info, absl::Time when);

  // "exited with code 1", "killed by signal 9 (SIGKILL)", "killed by signal 11 (SIGSEGV), core
  // dumped", "exited (status unknown: adopted)".
  std::string ToString() const;
};

}  // namespace corral::agent
