#include "agent/child_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

extern char** environ;

namespace corral::agent {
namespace {

// The child only makes a few system calls before exec; this is ample and costs nothing until
// touched.
constexpr size_t kChildStackBytes = 64 * 1024;
constexpr size_t kMaxFds = 16;

enum class Step { kNone, kProcessGroup, kDescriptors, kGroups, kGid, kUid, kMask, kExec };

// Everything the child needs, prepared by the parent; the child writes only `failed_*`.
struct ChildPlan {
  char* const* argv = nullptr;
  const std::pair<int, int>* fds = nullptr;
  size_t fd_count = 0;
  int first_spare = 0;  // above every target descriptor
  int max_target = -1;  // every descriptor above it is closed before exec
  const Credentials* credentials = nullptr;
  Step failed_step = Step::kNone;
  int failed_errno = 0;
};

[[noreturn]] void Fail(ChildPlan* plan, Step step) {
  plan->failed_errno = errno;
  plan->failed_step = step;
  ::_exit(127);
}

// The child, on its own stack, sharing the parent's memory until exec.
int ChildMain(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  // Handlers are the agent's code and must never run here: every signal back to its default
  // (the parent blocked them all before the clone, so none arrived meanwhile). Errors are for
  // SIGKILL, SIGSTOP and glibc's internal signals, which keep theirs.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  if (::setpgid(0, 0) != 0) Fail(plan, Step::kProcessGroup);
  // Every source is first copied above every target, so that placing one descriptor can never
  // overwrite another's source; the copies are close-on-exec, the placed ones are not.
  int spare[kMaxFds];
  for (size_t i = 0; i < plan->fd_count; ++i) {
    spare[i] = ::fcntl(plan->fds[i].second, F_DUPFD_CLOEXEC, plan->first_spare);
    if (spare[i] < 0) Fail(plan, Step::kDescriptors);
  }
  for (size_t i = 0; i < plan->fd_count; ++i) {
    if (::dup2(spare[i], plan->fds[i].first) < 0) Fail(plan, Step::kDescriptors);
  }
  // The agent's own descriptors are all close-on-exec, but it may have inherited some that are
  // not from whoever started it, and a server running as another user must not get those: it
  // keeps exactly the ones handed over. (Before Linux 5.9 there is no close_range; then only
  // close-on-exec guards.)
  if (::syscall(SYS_close_range, plan->max_target + 1, ~0U, 0) != 0 && errno != ENOSYS) {
    Fail(plan, Step::kDescriptors);
  }
  if (const Credentials* c = plan->credentials) {
    // Groups first, uid last: once the uid is dropped, nothing else may be changed.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) Fail(plan, Step::kGroups);
    if (::syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0) Fail(plan, Step::kGid);
    if (::syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0) Fail(plan, Step::kUid);
  }
  sigset_t empty;
  sigemptyset(&empty);
  if (::sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) Fail(plan, Step::kMask);
  ::execve(plan->argv[0], plan->argv, environ);
  Fail(plan, Step::kExec);
}

std::string StepText(const ChildPlan& plan) {
  const Credentials* c = plan.credentials;
  switch (plan.failed_step) {
    case Step::kProcessGroup:
      return "setpgid";
    case Step::kDescriptors:
      return "place descriptors";
    case Step::kGroups:
      return "drop supplementary groups";
    case Step::kGid:
      return absl::StrCat("setresgid ", c->gid);
    case Step::kUid:
      return absl::StrCat("setresuid ", c->uid);
    case Step::kMask:
      return "sigprocmask";
    case Step::kExec:
    case Step::kNone:
      break;
  }
  return "execve";
}

}  // namespace

absl::StatusOr<pid_t> SpawnChild(const ChildSpec& spec) {
  const std::string what = absl::StrCat("spawn ", spec.argv.empty() ? "" : spec.argv[0]);
  if (spec.argv.empty() || spec.fds.size() > kMaxFds) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": no program, or more than ", kMaxFds, " descriptors to hand over"));
  }
  std::vector<char*> argv;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ChildPlan plan;
  plan.argv = argv.data();
  plan.fds = spec.fds.data();
  plan.fd_count = spec.fds.size();
  for (const auto& [target, source] : spec.fds) {
    plan.first_spare = std::max({plan.first_spare, target + 1, source + 1});
    plan.max_target = std::max(plan.max_target, target);
  }
  plan.credentials = spec.credentials ? &*spec.credentials : nullptr;
  std::vector<char> stack(kChildStackBytes);
  // The stack grows down from its (16-byte aligned) top.
  auto top = reinterpret_cast<uintptr_t>(stack.data() + stack.size()) & ~uintptr_t{15};

  // Blocked from before the clone until the child has reset every handler: no agent handler can
  // run in the child on the shared memory.
  sigset_t all, previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  const int saved_errno = errno;
  const pid_t pid =
      ::clone(ChildMain, reinterpret_cast<void*>(top), CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  const int clone_errno = errno;
  errno = saved_errno;  // the child shares this thread's errno
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) return base::SyscallError(absl::StrCat(what, ": clone"), clone_errno);
  if (plan.failed_step != Step::kNone) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return base::SyscallError(absl::StrCat(what, ": ", StepText(plan)), plan.failed_errno);
  }
  return pid;
}

}  // namespace corral::agent
