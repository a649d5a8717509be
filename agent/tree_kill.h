// TreeKill: kills every process of a server, including forked children that left its process
// group (setsid, setpgid). A snapshot of the tree is held as pidfds, taken while the server
// still runs (its descendants are only findable while their parent lives), so a later kill
// can never hit a pid the kernel recycled meanwhile. Loop thread only (not thread-safe).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace corral::agent {

class TreeKill {
 public:
  // Adds `root`'s current descendants (from /proc) to the snapshot. Cheap enough to call at
  // every stop step; processes already held are not duplicated.
  void Snapshot(pid_t root);

  // Adds every process whose environment holds the entry `tag` (KEY=VALUE, set by the agent at
  // the spawn; descendants inherit it): a daemonised grandchild (double fork + setsid) has left
  // the tree by the time of a stop, but rarely clears its environment. Scans /proc; only at a
  // stop. A process that cleared or replaced its environment is not found.
  void SnapshotTagged(const std::string& tag);

  // SIGKILLs process group `pgid` and every process in the snapshot that is still alive.
  void KillAll(pid_t pgid);

  // Waits until every process in the snapshot has exited (its pidfd turns readable), for at
  // most `bound`: a SIGKILLed process takes a moment to die, and a stop that reports STOPPED
  // while one still runs would let a restart race it for the port. Returns how many still run
  // at the bound (one stuck in uninterruptible sleep, say).
  size_t WaitGone(std::chrono::milliseconds bound) const;

  // Forgets the snapshot (closes the pidfds).
  void Clear();

  size_t size() const { return members_.size(); }

 private:
  void Hold(pid_t pid);

  struct Member {
    pid_t pid;
    base::UniqueFd pidfd;
  };
  std::vector<Member> members_;
};

// pidfd_open(2) / pidfd_send_signal(2), which glibc 2.36 does not wrap for C++. The descriptor is
// close-on-exec. -1 with errno on failure.
int PidfdOpen(pid_t pid);
int PidfdSendSignal(int pidfd, int signal);

}  // namespace corral::agent
