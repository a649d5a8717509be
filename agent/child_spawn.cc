#include "agent/child_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

enum class Step {
  kNone,
  kProcessGroup,
  kDescriptors,
  kLimit,
  kGroups,
  kGid,
  kUid,
  kCwd,
  kMask,
  kExec
};

// "LISTEN_PID=" and room for any pid, written by the child into its own environment entry.
constexpr char kListenPidPrefix[] = "LISTEN_PID=";
constexpr size_t kPidDigits = 20;

// Everything the child needs, prepared by the parent; the child writes only `failed_*`.
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  char* listen_pid = nullptr;  // the digits of the LISTEN_PID= entry in `envp`, or null
  const char* cwd = nullptr;   // or null
  bool set_umask = false;
  mode_t umask = 0;
  rlim_t max_open_files = 0;
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
  if (plan->max_open_files != 0) {
    const rlimit limit{plan->max_open_files, plan->max_open_files};
    if (::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &limit, nullptr) != 0) Fail(plan, Step::kLimit);
  }
  if (plan->set_umask) ::umask(plan->umask);
  if (char* digits = plan->listen_pid) {
    // Right-aligned into the reserved room, then moved to its start: no allocation here.
    char text[kPidDigits];
    size_t start = kPidDigits;
    for (auto pid = static_cast<unsigned long>(::syscall(SYS_getpid)); start == kPidDigits || pid;
         pid /= 10) {
      text[--start] = static_cast<char>('0' + pid % 10);
    }
    size_t i = 0;
    for (; start < kPidDigits; ++start) digits[i++] = text[start];
    digits[i] = '\0';
  }
  if (const Credentials* c = plan->credentials) {
    // Groups first, uid last: once the uid is dropped, nothing else may be changed.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) Fail(plan, Step::kGroups);
    if (::syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0) Fail(plan, Step::kGid);
    if (::syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0) Fail(plan, Step::kUid);
  }
  if (plan->cwd != nullptr && ::chdir(plan->cwd) != 0) Fail(plan, Step::kCwd);
  sigset_t empty;
  sigemptyset(&empty);
  if (::sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) Fail(plan, Step::kMask);
  ::execve(plan->argv[0], plan->argv, plan->envp != nullptr ? plan->envp : environ);
  Fail(plan, Step::kExec);
}

std::string StepText(const ChildPlan& plan) {
  const Credentials* c = plan.credentials;
  switch (plan.failed_step) {
    case Step::kProcessGroup:
      return "setpgid";
    case Step::kDescriptors:
      return "place descriptors";
    case Step::kLimit:
      return absl::StrCat("set the descriptor limit to ", plan.max_open_files);
    case Step::kCwd:
      return absl::StrCat("chdir ", plan.cwd);
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
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  if (spec.env || spec.listen_pid) {
    if (spec.env) {
      env_storage = *spec.env;
    } else {
      for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    }
    if (spec.listen_pid) {
      env_storage.push_back(std::string(kListenPidPrefix) + std::string(kPidDigits + 1, '\0'));
    }
    for (std::string& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);
    plan.envp = envp.data();
    if (spec.listen_pid) plan.listen_pid = env_storage.back().data() + sizeof kListenPidPrefix - 1;
  }
  if (!spec.cwd.empty()) plan.cwd = spec.cwd.c_str();
  plan.set_umask = spec.umask.has_value();
  plan.umask = spec.umask.value_or(0);
  plan.max_open_files = spec.max_open_files;
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
    if (plan.failed_step == Step::kExec) {
      return base::SyscallError(absl::StrCat("exec ", spec.argv[0]), plan.failed_errno);
    }
    return base::SyscallError(absl::StrCat(what, ": ", StepText(plan)), plan.failed_errno);
  }
  return pid;
}

}  // namespace corral::agent
