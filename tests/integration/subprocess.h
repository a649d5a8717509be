// Running real binaries from tests: a command that runs to completion with its output captured,
// and a long-running child that is terminated when the test ends.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace corral::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `argv` to completion (killed after `timeout`), stdin from /dev/null.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(60));

// A child process with stdout and stderr appended to `log_path`. The destructor sends SIGTERM,
// waits up to 10 s, then SIGKILLs it, so no test leaves a process behind.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for the exit; returns the raw wait status, or -1 on timeout.
  int SignalAndWait(int signal, std::chrono::seconds timeout = std::chrono::seconds(10));
  // Non-blocking: whether the child has exited (and, if so, reaps it).
  bool Exited();
  int wait_status() const { return wait_status_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
};

// Whether a process with this pid exists (and is not a zombie of ours).
bool ProcessAlive(pid_t pid);

}  // namespace corral::testing
