// ExecProtocol (--protocol exec): inetd mode. Each accepted connection runs the user's program
// (program.h) with the connection on its stdin and stdout, as inetd's nowait and systemd's
// Accept=yes; the worker that accepted the connection waits for the program and holds the
// connection's worker slot and per-client place meanwhile, so max_workers and the per-client
// cap bound the programs running at once as they bound connections.
//
// The program's run, from its worker's side:
//   - it may run for `lifetime` (the spec's idle_timeout_ms: the program writes the socket
//     itself, so its silence cannot be seen); then it gets SIGTERM, and SIGKILL kKillGrace
//     later. Counted as a timeout error.
//   - on a drain (BeginDrain, or under fork the worker's own SIGTERM) it gets SIGTERM at once,
//     and SIGKILL when the drain runs out: shortly before the model's cut under fork and
//     thread (so its worker is still there to do it), at the cut under coroutine.
//   - when it ends, whatever is left of its process group is SIGKILLed.
// Counted per connection: the program's run time as the request's latency, and an error when
// it exits non-zero or dies of a signal the drain did not send. Its bytes are not counted: the
// program reads and writes the socket itself.
//
// Thread-safe: Serve runs concurrently from many workers; BeginDrain from another thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/unique_fd.h"
#include "servers/protocols/stream_protocol.h"

namespace corral::protocols::exec {

struct ExecOptions {
  // The program (argv[0], an absolute path, as validation stores it) and its arguments.
  std::vector<std::string> argv;
  // How long a program may run (the spec's idle_timeout_ms).
  std::chrono::milliseconds lifetime{spec::kDefaultIdleTimeoutMs};
  // How long the server's drain lets connections finish (spec::DrainTimeoutMs).
  std::chrono::milliseconds drain_timeout{4000};
  // How a worker waits for its program: a greenlet must not block its hub.
  enum class Workers {
    kProcesses,  // fork: each worker learns of the drain from its own SIGTERM
    kThreads,    // thread
    kGreenlets,  // coroutine
  };
  Workers workers = Workers::kThreads;
};

class ExecProtocol final : public StreamProtocol {
 public:
  // After SIGTERM, how long a program has before SIGKILL when its lifetime is up.
  static constexpr std::chrono::milliseconds kKillGrace{1000};

  // FAILED_PRECONDITION "exec PROGRAM: REASON" when argv[0] cannot be executed;
  // INVALID_ARGUMENT for an empty argv.
  static absl::StatusOr<std::unique_ptr<ExecProtocol>> Create(ExecOptions options);

  void Serve(net::Stream& stream) const override;
  void BeginDrain() const override;
  // Under fork, Serve polls a signalfd on SIGTERM while its program runs.
  bool WatchesDrainSignal() const override {
    return options_.workers == ExecOptions::Workers::kProcesses;
  }

 private:
  ExecProtocol(ExecOptions options, base::UniqueFd drain_event)
      : options_(std::move(options)), drain_event_(std::move(drain_event)) {}

  // Sends SIGTERM to the group of running program `pid` unless it had one already.
  void Terminate(pid_t pid) const;

  const ExecOptions options_;
  // Readable once BeginDrain ran (an eventfd, never read): wakes blocking waits.
  const base::UniqueFd drain_event_;
  mutable absl::Mutex mutex_;
  // The programs running, by pid, and whether each was sent SIGTERM.
  mutable absl::flat_hash_map<pid_t, bool> running_ ABSL_GUARDED_BY(mutex_);
  mutable bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace corral::protocols::exec
