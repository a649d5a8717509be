#include "agent/tree_kill.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "agent/procfs/process_tree.h"
#include "base/deadline.h"

namespace corral::agent {

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSendSignal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

void TreeKill::Snapshot(pid_t root) {
  absl::StatusOr<std::vector<pid_t>> tree = procfs::FindProcessTree(procfs::ProcFs(), root);
  if (!tree.ok()) return;  // the root is gone; the group kill still reaches its group
  for (pid_t pid : *tree) {
    if (pid == root) continue;  // the server itself is watched through its own pidfd
    bool held = std::any_of(members_.begin(), members_.end(),
                            [pid](const Member& m) { return m.pid == pid; });
    if (held) continue;
    // Opened right after the listing: between the two the pid could only be recycled if the
    // child exited and was reaped within microseconds, and then there is nothing to kill anyway.
    base::UniqueFd pidfd(PidfdOpen(pid));
    if (pidfd) members_.push_back(Member{pid, std::move(pidfd)});
  }
}

void TreeKill::KillAll(pid_t pgid) {
  if (pgid > 0) ::killpg(pgid, SIGKILL);
  for (Member& member : members_) PidfdSendSignal(member.pidfd.get(), SIGKILL);
}

size_t TreeKill::WaitGone(std::chrono::milliseconds bound) const {
  const base::Deadline deadline = base::DeadlineAfter(bound);
  size_t running = 0;
  for (const Member& member : members_) {
    if (!base::WaitReady(member.pidfd.get(), POLLIN, deadline).ok()) ++running;
  }
  return running;
}

void TreeKill::Clear() { members_.clear(); }

}  // namespace corral::agent
