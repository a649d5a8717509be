// Real binaries run from tests: ServerProcess, a long-running process (corral-server, the agent)
// that never outlives its test, and RunCommand, a command run to completion with its output.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace corral::testing {

// How ServerProcess starts and ends a process.
struct ProcessOptions {
  // Where stdout and stderr are appended; empty: where the test's own go.
  std::string log_path;
  // Adds `--notify-fd 3` and waits for corral-server's READY or FAILED message on that
  // descriptor (ready() and detail() tell which).
  bool await_readiness = false;
  // Sent by the destructor to a process still running, SIGKILL following if it has not exited
  // 10 s later. SIGKILL ends a server at once; SIGTERM lets an agent stop its servers first.
  int stop_signal = SIGKILL;
};

// A child process of the test, reaped by the test alone. pid() and detail() may be read from any
// thread; the calls that reap (SignalAndWait, Exited, the destructor) from one at a time.
class ServerProcess {
 public:
  // corral-server (from the build) with `server_args`, awaiting its readiness: how a model or
  // protocol test starts a server.
  explicit ServerProcess(const std::vector<std::string>& server_args);
  // `argv[0]` (a path) with the arguments that follow, stdin from /dev/null. Throws
  // std::runtime_error when it cannot be spawned (the test cannot go on).
  ServerProcess(const std::vector<std::string>& argv, const ProcessOptions& options);
  // Ends the process if it still runs (see ProcessOptions::stop_signal) and reaps it.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // With await_readiness: whether it announced READY; detail() is then the bound address, and
  // otherwise the reason it gave (or that it gave none). False without await_readiness.
  bool ready() const { return ready_; }
  const std::string& detail() const { return detail_; }

  // Sends `signal` (unless the process was reaped already) and waits up to `timeout` for the
  // exit; returns the raw wait status, or -1 if it still runs.
  int SignalAndWait(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Without blocking: whether it has exited (reaping it if so).
  bool Exited();
  // The raw wait status once Exited() or SignalAndWait saw the exit.
  int wait_status() const { return wait_status_; }

  // Its direct children's pids, from /proc.
  std::vector<pid_t> Children() const;

 private:
  void AwaitReadiness(int notify_fd);

  pid_t pid_ = -1;
  int stop_signal_ = SIGKILL;
  bool reaped_ = false;
  int wait_status_ = 0;
  bool ready_ = false;
  std::string detail_;
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `argv` to completion (killed after `timeout`), stdin from /dev/null.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(60));

// Whether a process with this pid exists and is not a zombie.
bool ProcessAlive(pid_t pid);

}  // namespace corral::testing
