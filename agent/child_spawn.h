// SpawnChild: starts a program the way posix_spawn would, plus what posix_spawn cannot do:
// change the child's credentials between fork and exec (a server that runs as another user).
//
// Like glibc's posix_spawn, the child is a clone(CLONE_VM | CLONE_VFORK) on a stack of its
// own: the agent's large, multi-threaded address space is neither copied nor forked (design
// decision 1), no pthread_atfork handler runs, and the agent's thread sleeps until the child
// has exec'ed or failed, so the child reports a failure through shared memory. The child
// therefore makes only async-signal-safe calls and raw system calls (a credential change made
// by glibc's setresuid would try to reach the agent's other threads), and it touches nothing
// but its own stack and the prepared plan.
//
// The child gets what the agent's posix_spawn children get: default signal dispositions, an
// empty signal mask, a process group of its own, and exactly the descriptors in `fds` (the
// others are closed, also any the agent inherited without close-on-exec).
//
// Thread-safety: any thread; the calling thread is blocked until the child exec'ed or failed.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace corral::agent {

// Who a child runs as. Supplementary groups are always dropped: a server gets its user's uid
// and one group, nothing it did not ask for.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is the path executed (no PATH search)
  // {target, source}: the child's descriptor `target` is a copy of the agent's `source`. At
  // most 16. Every descriptor above the highest target is closed (hand over 0, 1, 2, ... without
  // gaps and the child has no other).
  std::vector<std::pair<int, int>> fds;
  // The child's whole environment; nullopt: the agent's.
  std::optional<std::vector<std::string>> env;
  // Adds LISTEN_PID=<the child's own pid> to `env` (sd_listen_fds(3) wants the pid, which only
  // the child knows before its exec).
  bool listen_pid = false;
  // Taken after the descriptors, before exec: supplementary groups dropped, then the gid, then
  // the uid (real, effective and saved). nullopt: the agent's own, unchanged.
  std::optional<Credentials> credentials;
  // Entered after the credential change, so the directory is checked as the new user. Empty:
  // the agent's.
  std::string cwd;
  std::optional<mode_t> umask;  // nullopt: the agent's
  uint64_t max_open_files =
      0;  // RLIMIT_NOFILE (soft and hard), set before the uid change; 0: the agent's
};

// The child's pid. A failure in the child (it then exits 127 and is reaped here) names the
// step: `spawn /x/corral-server: setresuid 65534: Operation not permitted`, and a failed exec
// reads `exec /usr/bin/python4: No such file or directory`. (The child reports through the
// memory it shares with the parent until its exec, as glibc's posix_spawn does: nothing can be
// lost, and the parent knows the outcome before SpawnChild returns.)
absl::StatusOr<pid_t> SpawnChild(const ChildSpec& spec);

}  // namespace corral::agent
