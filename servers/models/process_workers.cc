#include "servers/models/process_workers.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/syscall_error.h"
#include "servers/models/drain_policy.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

base::UniqueFd SigchldFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  return base::UniqueFd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
}

}  // namespace

ProcessWorkers::ProcessWorkers(std::function<void()> in_child,
                               std::function<void(pid_t, int)> on_reaped)
    : in_child_(std::move(in_child)),
      on_reaped_(std::move(on_reaped)),
      sigchld_(SigchldFd()),
      parent_(::getpid()) {}

ProcessWorkers::~ProcessWorkers() {
  for (pid_t pid : children_) ::kill(pid, SIGKILL);
  WaitChildren(net::Clock::now() + kCutGrace);
}

bool ProcessWorkers::Launch(int handoff_fd, std::function<void()> work) {
  pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::error("{}", std::string(base::SyscallError("fork", errno).message()));
    if (handoff_fd >= 0) ::close(handoff_fd);
    return false;
  }
  if (pid == 0) {
    // The child: die with the server, even if it is killed outright.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent_) ::_exit(0);  // the server died before prctl took effect
    if (in_child_) in_child_();
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("worker process: unexpected exception: {}", e.what());
    }
    ::_exit(0);  // no atexit handlers or static destructors: they belong to the server
  }
  if (handoff_fd >= 0) ::close(handoff_fd);  // the child has its own copy
  children_.insert(pid);
  return true;
}

void ProcessWorkers::Collect() {
  signalfd_siginfo info;
  while (::read(sigchld_.get(), &info, sizeof info) == sizeof info) {
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    children_.erase(pid);
    if (on_reaped_) on_reaped_(pid, status);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
      spdlog::warn("worker process {} killed by signal {}", pid, WTERMSIG(status));
    }
  }
}

bool ProcessWorkers::WaitChildren(net::Deadline deadline) {
  for (;;) {
    Collect();
    if (children_.empty()) return true;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - net::Clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{sigchld_.get(), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
  }
}

size_t ProcessWorkers::Drain(net::Deadline deadline) {
  // Children serving one connection finish it; pool children stop accepting on SIGTERM.
  for (pid_t pid : children_) ::kill(pid, SIGTERM);
  DrainWithin(deadline, "worker process(es)",
              {.wait_until_finished = [this](net::Deadline until) { return WaitChildren(until); },
               .cut =
                   [this] {
                     for (pid_t pid : children_) ::kill(pid, SIGKILL);
                     return children_.size();
                   },
               .running = [this] { return children_.size(); }});
  return 0;  // a child left unreaped shares no memory with this process
}

}  // namespace corral::models
