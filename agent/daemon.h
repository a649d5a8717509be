// corral-agent --daemon: detaching from the terminal, telling the caller whether the agent came
// up, and the pid file. The sequence (agent/main.cc):
//   Detach()            fork; the parent waits on a pipe and exits 0 once the daemon serves
//                       gRPC, or 1 with the daemon's error on stderr. The child runs setsid
//                       (its own session: no terminal, no SIGHUP when the terminal closes) and
//                       chdir("/") (it holds no directory busy).
//   log opened          (agent_log.h), then RedirectStdioToDevNull().
//   PidFile::Write      once the home's lock is held.
//   StartReport::Ready  once serving; or StartReport::Failed(message) at any failure before.
// Call Detach before any thread exists (a fork copies only the calling thread).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::agent {

// The daemon's end of the pipe its parent waits on. A default-constructed one (a foreground
// agent) reports nothing. Each report is final: the pipe closes after it.
class StartReport {
 public:
  StartReport() = default;
  explicit StartReport(base::UniqueFd fd) : fd_(std::move(fd)) {}

  bool detached() const { return fd_.valid(); }
  // The parent prints `message` (what serves where) on stdout and exits 0.
  void Ready(std::string_view message);
  // The parent prints "corral-agent: MESSAGE" on stderr and exits 1.
  void Failed(std::string_view message);

 private:
  base::UniqueFd fd_;
};

// Forks. In the parent it never returns: it exits with the daemon's verdict (1 also when the
// daemon ended without one; the message names `log_path`). In the child it returns the report
// to give, the child being the leader of a new session with "/" as its directory. Fails only
// if the pipe or the fork cannot be made (nothing is forked then).
absl::StatusOr<StartReport> Detach(const std::string& log_path);

// Points stdin, stdout and stderr at /dev/null, so a closed terminal or a caller's pipe is
// never written to (nor held open).
absl::Status RedirectStdioToDevNull();

// HOME/agent.pid: the agent's pid, written atomically (a temporary file renamed over it), for
// scripts and service managers. Removed by the destructor when it still names this process.
// Only the holder of the home's AgentLock writes it, so a file found at Write is stale (an agent
// that was killed): Write replaces it and says so in `*stale` (empty when there was none).
class PidFile {
 public:
  static absl::StatusOr<PidFile> Write(const std::string& home, std::string* stale);
  static std::string Path(const std::string& home);

  PidFile(PidFile&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  PidFile& operator=(PidFile&&) = delete;
  PidFile(const PidFile&) = delete;
  ~PidFile();

 private:
  explicit PidFile(std::string path) : path_(std::move(path)) {}
  std::string path_;  // empty once moved from
};

}  // namespace corral::agent
