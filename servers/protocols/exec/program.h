// Program: one run of the exec protocol's program for one connection, as inetd's nowait and
// systemd's Accept=yes start it: the connection on stdin and stdout, stderr shared with the
// server (its log), in a process group of its own.
//
// Spawned with clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD): no copy of the server's memory (a
// fork of a large threaded server would copy its page tables per connection), the caller's
// thread waits only until the exec (or its failure), and the pidfd comes with the process, so
// the program is waited for through its pidfd alone (poll(2) or a hub's epoll) and reaped by
// waitid(P_PIDFD): never by pid, so nothing races the fork model's waitpid(-1), which reaps only
// the server's own children anyway.
//
// No orphan: the program is SIGKILLed by the kernel if the thread that spawned it dies
// (PR_SET_PDEATHSIG), and whatever it started in its process group is SIGKILLed when it ends
// (Finish), as systemd ends a unit's control group.
//
// Not thread-safe; one worker owns it. Move-only.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::protocols::exec {

// How a program ended, decoded once from waitid's siginfo.
struct ProgramExit {
  bool killed = false;  // by a signal (`code` is its number), else exited (`code` its status)
  int code = 0;

  bool success() const { return !killed && code == 0; }
  // "exited with status 3", "killed by signal 15 (Terminated)".
  std::string ToString() const;
  static ProgramExit FromSiginfo(const siginfo_t& info);
};

class Program {
 public:
  // Runs the executable at `argv[0]` (an absolute path) with `argv` and the environment `env`
  // ("NAME=value" each): `connection` duplicated onto descriptors 0 and 1 and made blocking (for
  // the caller too: the flag is the socket's, so the caller leaves the connection to the program
  // until it ends), descriptor 2 the server's, every other descriptor closed; every signal at
  // its default and unblocked (the server blocks its stop signals and ignores SIGPIPE). The
  // error names what failed: "exec /bin/x: Permission denied", "clone: ...".
  static absl::StatusOr<Program> Spawn(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env, int connection);

  Program(Program&&) = default;
  Program& operator=(Program&&) = default;

  pid_t pid() const { return pid_; }
  // Readable once the program has exited (poll(2), epoll). Owned by this object.
  int pidfd() const { return pidfd_.get(); }

  // Sends `signal` to the program's process group. Call only before Finish (the group's number
  // is the program's pid, which is reused once it is reaped).
  void SignalGroup(int signal) const;

  // Ends what is left of the program's process group (SIGKILL), then waits for the program to
  // exit (blocking: after a SIGKILL, or once pidfd() is readable, that is at once) and reaps it.
  // Call once.
  ProgramExit Finish();

  // Gives up the pidfd, for a caller that must close it its own way (coro::Close).
  int ReleasePidfd() { return pidfd_.Release(); }

 private:
  Program(pid_t pid, base::UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  pid_t pid_;
  base::UniqueFd pidfd_;
};

}  // namespace corral::protocols::exec
