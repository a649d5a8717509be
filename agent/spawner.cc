#include "agent/spawner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "agent/scoreboard_handover.h"
#include "agent/server_kinds_proto.h"
#include "agent/tree_kill.h"
#include "servers/net/syscall_error.h"

extern char** environ;

namespace corral::agent {
namespace {

constexpr int kReadinessFd = 3;
constexpr int kScoreboardFd = 4;

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

std::vector<std::string> ServerArgv(const std::string& server_binary, const v1::ServerSpec& spec,
                                    const std::string& server_dir) {
  // The server drains for most of the stop timeout, leaving the agent a margin before SIGKILL.
  uint32_t drain_ms = spec.stop_timeout_ms() - spec.stop_timeout_ms() / 5;
  std::vector<std::string> argv = {
      server_binary,
      "--protocol",
      std::string(ProtocolName(*ProtocolFromProto(spec.protocol()))),
      "--model",
      std::string(ModelName(*ModelFromProto(spec.model()))),
      "--listen",
      spec.listen(),
      "--max-workers",
      absl::StrCat(spec.max_workers()),
      "--idle-timeout-ms",
      absl::StrCat(spec.idle_timeout_ms()),
      "--drain-timeout-ms",
      absl::StrCat(drain_ms),
      "--notify-fd",
      absl::StrCat(kReadinessFd),
      "--scoreboard",
      server_dir + "/scoreboard",
  };
  auto add = [&argv](const char* flag, std::string value) {
    argv.push_back(flag);
    argv.push_back(std::move(value));
  };
  if (!spec.root().empty()) add("--root", spec.root());
  if (spec.pool_size() != 0) add("--pool-size", absl::StrCat(spec.pool_size()));
  if (spec.hubs() != 0) add("--hubs", absl::StrCat(spec.hubs()));
  if (spec.allow_overwrite()) argv.push_back("--allow-overwrite");
  if (spec.max_upload_bytes() != 0)
    add("--max-upload-bytes", absl::StrCat(spec.max_upload_bytes()));
  if (spec.has_file_cache_valid_ms()) {
    add("--file-cache-valid-ms", absl::StrCat(spec.file_cache_valid_ms()));
  }
  return argv;
}

namespace {

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
  if (err != 0) return net::SyscallError(absl::StrCat("spawn ", argv[0]), err);
  return pid;
}

absl::StatusOr<net::UniqueFd> OpenPidfd(pid_t pid) {
  net::UniqueFd pidfd(PidfdOpen(pid));
  if (!pidfd) {
    int open_err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return net::SyscallError(absl::StrCat("pidfd_open ", pid), open_err);
  }
  return pidfd;
}

// The logger reads `read_end` as its stdin; its own complaints go to the agent's stderr.
absl::StatusOr<net::UniqueFd> SpawnLogger(const LogSettings& log, int read_end) {
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
                                          const LogSettings& log, const ServerLaunch& launch) {
  absl::StatusOr<ScoreboardFile> scoreboard;
  if (!launch.scoreboard_path.empty()) {
    scoreboard = CreateScoreboardFile(launch.scoreboard_path);
    if (!scoreboard.ok()) return scoreboard.status();
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return net::SyscallError("pipe2", errno);
  net::UniqueFd read_end(pipe_fds[0]);
  net::UniqueFd write_end(pipe_fds[1]);
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);

  net::UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null) return net::SyscallError("open /dev/null", errno);
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return net::SyscallError("pipe2", errno);
  net::UniqueFd log_read(pipe_fds[0]);
  net::UniqueFd log_write(pipe_fds[1]);
  absl::StatusOr<net::UniqueFd> logger = SpawnLogger(log, log_read.get());
  if (!logger.ok()) return logger.status();
  log_read.Reset();

  ChildSpec child{.argv = argv,
                  .fds = {{STDIN_FILENO, dev_null.get()},
                          {STDOUT_FILENO, log_write.get()},
                          {STDERR_FILENO, log_write.get()},
                          {kReadinessFd, write_end.get()}},
                  .credentials = launch.credentials};
  if (scoreboard.ok()) {
    child.fds.push_back({kScoreboardFd, scoreboard->fd.get()});
    child.argv.insert(child.argv.end(),
                      {"--scoreboard-fd", absl::StrCat(kScoreboardFd), "--scoreboard-generation",
                       absl::StrCat(scoreboard->generation)});
  }
  absl::StatusOr<pid_t> pid = SpawnChild(child);
  absl::StatusOr<net::UniqueFd> pidfd =
      pid.ok() ? OpenPidfd(*pid) : absl::StatusOr<net::UniqueFd>(pid.status());
  log_write.Reset();
  if (!pidfd.ok()) {
    // Without a writer the logger sees EOF at once; wait for it so it leaves no zombie.
    siginfo_t info{};
    ::waitid(P_PIDFD, logger->get(), &info, WEXITED);
    return pidfd.status();
  }
  SpawnedServer spawned;
  spawned.pid = *pid;
  spawned.readiness = std::move(read_end);
  spawned.logger_pidfd = *std::move(logger);
  spawned.pidfd = *std::move(pidfd);
  if (scoreboard.ok()) spawned.scoreboard = std::move(scoreboard->fd);
  return spawned;
}

}  // namespace corral::agent
