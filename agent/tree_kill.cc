#include "agent/tree_kill.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/procfs/proc_fs.h"
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

void TreeKill::Hold(pid_t pid) {
  bool held = std::any_of(members_.begin(), members_.end(),
                          [pid](const Member& m) { return m.pid == pid; });
  if (held) return;
  base::UniqueFd pidfd(PidfdOpen(pid));
  if (pidfd) members_.push_back(Member{pid, std::move(pidfd)});
}

void TreeKill::SnapshotTagged(const std::string& tag) {
  if (tag.empty()) return;
  const procfs::ProcFs proc;
  absl::StatusOr<std::vector<pid_t>> pids = proc.ListPids();
  if (!pids.ok()) return;
  const pid_t self = ::getpid();
  for (pid_t pid : *pids) {
    if (pid == self) continue;
    absl::StatusOr<std::string> environ =
        procfs::ReadSmallFile(absl::StrCat(proc.root(), "/", pid, "/environ"));
    if (!environ.ok()) continue;  // gone, or another user's (unreadable)
    // Entries are NUL-terminated: match a whole entry.
    for (size_t at = environ->find(tag); at != std::string::npos; at = environ->find(tag, at + 1)) {
      const bool starts = at == 0 || (*environ)[at - 1] == '\0';
      const size_t end = at + tag.size();
      const bool ends = end == environ->size() || (*environ)[end] == '\0';
      if (starts && ends) {
        // The pid may have been recycled since the listing only if the process exited and
        // was reaped meanwhile; the environment was read after the listing, so it is this one.
        Hold(pid);
        break;
      }
    }
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
