#include "agent/spawner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "agent/scoreboard_handover.h"
#include "agent/tree_kill.h"
#include "base/syscall_error.h"

extern char** environ;

namespace corral::agent {
namespace {

constexpr int kFirstListenFd = 3;  // sd_listen_fds(3)

// Keeps posix_spawn's attribute objects paired with their destroy calls.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

std::vector<std::string> ServerArgv(const std::string& server_binary, const std::string& server_dir,
                                    size_t socket_count) {
  return {server_binary, "--spec-fd", absl::StrCat(kFirstListenFd + socket_count), "--scoreboard",
          server_dir + "/scoreboard"};
}

namespace {

// The spec's bytes in an anonymous file, sealed so that nothing can change them after the
// check, and rewound so the server reads them from the start (the offset is shared). A memfd
// rather than a pipe: the agent writes it all before the spawn and never blocks on a reader.
absl::StatusOr<base::UniqueFd> SpecFile(const v1::ServerSpec& spec) {
  base::UniqueFd fd(::memfd_create("corral-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return base::SyscallError("memfd_create for the spec", errno);
  const std::string bytes = spec.SerializeAsString();
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::SyscallError("write the spec to its memfd", errno);
    done += static_cast<size_t>(n);
  }
  constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  if (::fcntl(fd.get(), F_ADD_SEALS, kSeals) != 0) {
    return base::SyscallError("seal the spec's memfd", errno);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0)
    return base::SyscallError("rewind the spec's memfd", errno);
  return fd;
}

// Default dispositions, an empty mask and a process group of its own for every spawned child.
void SetChildAttributes(posix_spawnattr_t* attr) {
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigfillset(&defaults);
  posix_spawnattr_setsigmask(attr, &empty);
  posix_spawnattr_setsigdefault(attr, &defaults);
  posix_spawnattr_setpgroup(attr, 0);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                     POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_USEVFORK);
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, SpawnSetup& setup) {
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, c_argv[0], &setup.actions, &setup.attr, c_argv.data(), environ);
  if (err != 0) return base::SyscallError(absl::StrCat("spawn ", argv[0]), err);
  return pid;
}

absl::StatusOr<base::UniqueFd> OpenPidfd(pid_t pid) {
  base::UniqueFd pidfd(PidfdOpen(pid));
  if (!pidfd) {
    int open_err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return base::SyscallError(absl::StrCat("pidfd_open ", pid), open_err);
  }
  return pidfd;
}

// The logger reads `read_end` as its stdin; its own complaints go to the agent's stderr.
absl::StatusOr<base::UniqueFd> SpawnLogger(const LogSettings& log, int read_end) {
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, read_end, STDIN_FILENO);
  posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  SetChildAttributes(&setup.attr);
  absl::StatusOr<pid_t> pid =
      Spawn({log.logger_binary, log.dir, absl::StrCat(log.max_bytes), absl::StrCat(log.keep_files)},
            setup);
  if (!pid.ok()) return pid.status();
  return OpenPidfd(*pid);
}

}  // namespace

absl::StatusOr<SpawnedServer> SpawnServer(const std::vector<std::string>& argv,
                                          const v1::ServerSpec* spec, const LogSettings& log,
                                          const ServerLaunch& launch) {
  absl::StatusOr<base::UniqueFd> spec_file;
  if (spec != nullptr) {
    spec_file = SpecFile(*spec);
    if (!spec_file.ok()) return spec_file.status();
  }
  absl::StatusOr<ScoreboardFile> scoreboard = absl::NotFoundError("no scoreboard");
  if (!launch.scoreboard_path.empty()) {
    scoreboard = CreateScoreboardFile(launch.scoreboard_path);
    if (!scoreboard.ok()) return scoreboard.status();
  }
  base::UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null) return base::SyscallError("open /dev/null", errno);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return base::SyscallError("pipe2", errno);
  base::UniqueFd log_read(pipe_fds[0]);
  base::UniqueFd log_write(pipe_fds[1]);
  absl::StatusOr<base::UniqueFd> logger = SpawnLogger(log, log_read.get());
  if (!logger.ok()) return logger.status();
  log_read.Reset();

  ChildSpec child{.argv = argv,
                  .fds = {{STDIN_FILENO, dev_null.get()},
                          {STDOUT_FILENO, log_write.get()},
                          {STDERR_FILENO, log_write.get()}},
                  .env = launch.env,
                  .listen_pid = !launch.listen_fds.empty(),
                  .credentials = launch.credentials,
                  .cwd = launch.cwd,
                  .umask = launch.umask,
                  .max_open_files = launch.max_open_files};
  int next_fd = kFirstListenFd;
  for (int fd : launch.listen_fds) {
    // O_NONBLOCK belongs to the socket, not the descriptor: a previous process may have set it,
    // and a program written for systemd expects the blocking socket systemd hands over.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    child.fds.push_back({next_fd++, fd});
  }
  if (spec_file.ok()) child.fds.push_back({next_fd++, spec_file->get()});
  if (scoreboard.ok()) {
    child.fds.push_back({next_fd, scoreboard->fd.get()});
    child.argv.insert(child.argv.end(),
                      {"--scoreboard-fd", absl::StrCat(next_fd), "--scoreboard-generation",
                       absl::StrCat(scoreboard->generation)});
  }
  absl::StatusOr<pid_t> pid = SpawnChild(child);
  absl::StatusOr<base::UniqueFd> pidfd =
      pid.ok() ? OpenPidfd(*pid) : absl::StatusOr<base::UniqueFd>(pid.status());
  log_write.Reset();
  if (!pidfd.ok()) {
    // Without a writer the logger sees EOF at once; wait for it so it leaves no zombie.
    siginfo_t info{};
    ::waitid(P_PIDFD, logger->get(), &info, WEXITED);
    return pidfd.status();
  }
  SpawnedServer spawned;
  spawned.pid = *pid;
  spawned.logger_pidfd = *std::move(logger);
  spawned.pidfd = *std::move(pidfd);
  if (scoreboard.ok()) spawned.scoreboard = std::move(scoreboard->fd);
  return spawned;
}

}  // namespace corral::agent
