#include "servers/protocols/exec/program.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace corral::protocols::exec {
namespace {

// The child runs on this stack only until execve; 64 KiB is ample for the calls below.
constexpr size_t kChildStackBytes = 64 * 1024;

// What the child needs, prepared by the parent: the child shares the parent's memory and may
// not allocate. `error` is written by the child when execve fails.
struct ChildArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  int connection;
  pid_t parent;
  int error = 0;
};

// Makes `from` descriptor `to` of the program, without close-on-exec.
bool Install(int from, int to) {
  if (from == to) return ::fcntl(to, F_SETFD, 0) == 0;
  return ::dup2(from, to) == to;
}

// The child, between clone and execve: only syscalls (async-signal-safe), no allocation.
int ChildMain(void* raw) {
  auto* args = static_cast<ChildArgs*>(raw);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The spawning thread cannot have died (CLONE_VFORK holds it), but the process may have been
  // killed: then the kernel has not sent the death signal to this new child.
  if (::getppid() != args->parent) ::_exit(127);
  ::setpgid(0, 0);
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) {
    ::sigaction(signal, &default_action, nullptr);  // fails harmlessly for KILL, STOP, reserved
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!Install(args->connection, STDIN_FILENO) || !Install(args->connection, STDOUT_FILENO)) {
    args->error = errno;
    ::_exit(127);
  }
  // Programs expect a blocking stdin: a shell's read takes EAGAIN for the end. The flag belongs
  // to the socket's open file, shared with the worker (non-blocking under coroutine), which
  // no longer reads or writes the connection itself: the program does.
  int flags = ::fcntl(STDIN_FILENO, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) ::fcntl(STDIN_FILENO, F_SETFL, flags & ~O_NONBLOCK);
  // Nothing else the server holds or inherited without close-on-exec (a supervisor's pipes,
  // its readiness descriptor) reaches the program, as inetd and systemd close them too.
  ::close_range(STDERR_FILENO + 1, ~0U, 0);
  ::execve(args->path, args->argv, args->envp);
  args->error = errno;
  ::_exit(127);
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string ProgramExit::ToString() const {
  if (!killed) return absl::StrCat("exited with status ", code);
  return absl::StrCat("killed by signal ", code, " (", ::strsignal(code), ")");
}

ProgramExit ProgramExit::FromSiginfo(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return {.killed = false, .code = info.si_status};
  return {.killed = true, .code = info.si_status};
}

absl::StatusOr<Program> Program::Spawn(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env, int connection) {
  std::vector<char*> argv_pointers = Pointers(argv);
  std::vector<char*> env_pointers = Pointers(env);
  ChildArgs args{.path = argv.at(0).c_str(),
                 .argv = argv_pointers.data(),
                 .envp = env_pointers.data(),
                 .connection = connection,
                 .parent = ::getpid()};
  std::unique_ptr<char[]> stack(new (std::nothrow) char[kChildStackBytes]);
  if (!stack) return base::SyscallError("spawn: allocate a stack", ENOMEM);
  int pidfd = -1;
  // SIGCHLD as the exit signal keeps it an ordinary child for waitid; every thread of the
  // server blocks SIGCHLD, and nobody waits for it by pid.
  pid_t pid = ::clone(ChildMain, stack.get() + kChildStackBytes,
                      CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
  if (pid < 0) return base::SyscallError("clone", errno);
  Program program(pid, base::UniqueFd(pidfd));
  if (args.error != 0) {
    program.Finish();  // exited with 127: reap it
    return base::SyscallError(absl::StrCat("exec ", argv[0]), args.error);
  }
  return program;
}

void Program::SignalGroup(int signal) const { ::kill(-pid_, signal); }

ProgramExit Program::Finish() {
  // Before the reap, while the pid (the group's number) cannot have been reused.
  SignalGroup(SIGKILL);
  siginfo_t info = {};
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info,
                  WEXITED) != 0 &&
         errno == EINTR) {
  }
  return ProgramExit::FromSiginfo(info);
}

}  // namespace corral::protocols::exec
