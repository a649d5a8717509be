#include "servers/protocols/exec/exec_protocol.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/syscall_error.h"
#include "servers/coro/socket_calls.h"
#include "servers/protocols/exec/connection_env.h"
#include "servers/protocols/exec/program.h"
#include "servers/protocols/exec/program_wait.h"
#include "servers/stats/slot_writer.h"
#include "spdlog/spdlog.h"
#include "spec/exec_program.h"

namespace corral::protocols::exec {
namespace {

using Workers = ExecOptions::Workers;

// The drain cuts a fork worker (SIGKILL) or a thread's connection at its end; the worker ends
// its program this much earlier, so that it is still there to SIGKILL the program's group.
std::chrono::milliseconds KillAfterDrainStart(std::chrono::milliseconds drain_timeout) {
  return drain_timeout -
         std::min<std::chrono::milliseconds>(drain_timeout / 10, std::chrono::milliseconds(250));
}

// Under fork, a worker process learns of the drain from the SIGTERM the server sends it, which
// it keeps blocked (as every thread of the server does): a signalfd that is polled, never read,
// so the worker's other watchers still see it.
base::UniqueFd StopSignalFd(Workers workers) {
  if (workers != Workers::kProcesses) return base::UniqueFd();
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  return base::UniqueFd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
}

// How a run ended, from the worker's side.
struct Run {
  bool timed_out = false;  // the lifetime ran out
};

}  // namespace

absl::StatusOr<std::unique_ptr<ExecProtocol>> ExecProtocol::Create(ExecOptions options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("exec: no program to run");
  absl::StatusOr<std::string> program = spec::ResolveExecProgram(options.argv[0], nullptr);
  if (!program.ok()) return absl::FailedPreconditionError(program.status().message());
  options.argv[0] = *program;
  base::UniqueFd drain_event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!drain_event) return base::SyscallError("exec: eventfd", errno);
  return std::unique_ptr<ExecProtocol>(
      new ExecProtocol(std::move(options), std::move(drain_event)));
}

void ExecProtocol::Terminate(pid_t pid) const {
  absl::MutexLock lock(&mutex_);
  auto it = running_.find(pid);
  if (it == running_.end() || it->second) return;
  it->second = true;
  ::kill(-pid, SIGTERM);
}

void ExecProtocol::BeginDrain() const {
  {
    absl::MutexLock lock(&mutex_);
    draining_ = true;
    for (auto& [pid, terminated] : running_) {
      if (!terminated) ::kill(-pid, SIGTERM);
      terminated = true;
    }
  }
  // Wakes the blocking waits, which then bound their programs' time by the drain's.
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(drain_event_.get(), &one, sizeof one);
}

void ExecProtocol::Serve(net::Stream& stream) const {
  stats::SlotWriter* const stats = stats::SlotOf(stream.accounting());
  const base::Deadline start = base::Clock::now();
  absl::StatusOr<Program> program =
      Program::Spawn(options_.argv, ConnectionEnvironment(stream.fd()), stream.fd());
  if (!program.ok()) {
    spdlog::error("serve connection: {}", std::string(program.status().message()));
    if (stats) stats->OnError(stats::ErrorKind::kProtocol);
    return;
  }
  const pid_t pid = program->pid();
  bool drain_began;
  {
    absl::MutexLock lock(&mutex_);
    running_.emplace(pid, false);
    drain_began = draining_;
  }
  if (drain_began) Terminate(pid);  // BeginDrain ran between the spawn and the registration
  if (stats) stats->SetState(stats::WorkerState::kWriting);

  const bool greenlet = options_.workers == Workers::kGreenlets;
  base::UniqueFd stop_signal = StopSignalFd(options_.workers);
  bool drain_seen = false, terminated = false;
  Run run;
  base::Deadline deadline = start + options_.lifetime;
  for (bool waiting = true; waiting;) {
    WaitEnd end = greenlet     ? WaitCooperative(program->pidfd(), deadline)
                  : drain_seen ? WaitBlocking(program->pidfd(), {}, deadline)
                               : WaitBlocking(program->pidfd(),
                                              {drain_event_.get(), stop_signal.get()}, deadline);
    switch (end) {
      case WaitEnd::kExited:
      case WaitEnd::kCancelled:  // the drain's cut: Finish kills the program
        waiting = false;
        break;
      case WaitEnd::kDrain:
        drain_seen = terminated = true;
        Terminate(pid);
        deadline =
            std::min(deadline, base::Clock::now() + KillAfterDrainStart(options_.drain_timeout));
        break;
      case WaitEnd::kDeadline:
        if (terminated) {
          waiting = false;  // Finish kills the program
          break;
        }
        run.timed_out = terminated = true;
        Terminate(pid);
        deadline = base::Clock::now() + kKillGrace;
        break;
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    running_.erase(pid);
    drain_began = draining_;
  }
  ProgramExit exit = program->Finish();
  // The hub forgets its registration; a close error leaves nothing to undo.
  if (greenlet) (void)coro::Close(program->ReleasePidfd());

  const auto took = base::Clock::now() - start;
  if (stats) {
    stats->OnRequest(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
  }
  if (run.timed_out) {
    spdlog::warn("{} (pid {}) ran past its lifetime of {} ms: {}", options_.argv[0], pid,
                 options_.lifetime.count(), exit.ToString());
    if (stats) stats->OnError(stats::ErrorKind::kTimeout);
  } else if (!exit.success() && !drain_began) {
    spdlog::warn("{} (pid {}) {}", options_.argv[0], pid, exit.ToString());
    if (stats) stats->OnError(stats::ErrorKind::kProtocol);
  }
}

}  // namespace corral::protocols::exec
