#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "servers/readiness.h"
#include "tests/support/wait_for.h"

extern char** environ;

namespace corral::testing {
namespace {

// The descriptor corral-server is told to announce its readiness on.
constexpr int kNotifyFd = 3;

pid_t Spawn(const std::vector<std::string>& argv, const posix_spawn_file_actions_t* actions) {
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, c_argv[0], actions, nullptr, c_argv.data(), environ) != 0) return -1;
  return pid;
}

// Waits up to `timeout` for `pid` to exit; true with its wait status once it has.
bool AwaitExit(pid_t pid, std::chrono::milliseconds timeout, int* status) {
  bool gone = false;
  WaitFor(
      [&] {
        pid_t reaped = waitpid(pid, status, WNOHANG);
        gone = reaped == pid;
        return reaped != 0;  // exited, or not (or no longer) a child of ours
      },
      timeout);
  return gone;
}

std::vector<std::string> CorralServerArgv(const std::vector<std::string>& server_args) {
  std::vector<std::string> argv = {std::string(CORRAL_BIN_DIR) + "/corral-server"};
  argv.insert(argv.end(), server_args.begin(), server_args.end());
  return argv;
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& server_args)
    : ServerProcess(CorralServerArgv(server_args), {.await_readiness = true}) {}

ServerProcess::ServerProcess(const std::vector<std::string>& argv, const ProcessOptions& options)
    : stop_signal_(options.stop_signal) {
  std::vector<std::string> full_argv = argv;
  int notify[2] = {-1, -1};
  if (options.await_readiness) {
    if (pipe2(notify, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 for --notify-fd");
    full_argv.push_back("--notify-fd");
    full_argv.push_back(std::to_string(kNotifyFd));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!options.log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, options.log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  if (options.await_readiness) posix_spawn_file_actions_adddup2(&actions, notify[1], kNotifyFd);
  pid_ = Spawn(full_argv, &actions);
  posix_spawn_file_actions_destroy(&actions);
  if (options.await_readiness) close(notify[1]);
  if (pid_ < 0) {
    if (options.await_readiness) close(notify[0]);
    throw std::runtime_error("spawn " + argv[0]);
  }
  if (options.await_readiness) AwaitReadiness(notify[0]);
}

void ServerProcess::AwaitReadiness(int notify_fd) {
  std::string message;
  pollfd pfd{notify_fd, POLLIN, 0};
  const int limit_ms = static_cast<int>(kWaitLimit.count());
  while (poll(&pfd, 1, limit_ms) > 0) {  // until the server closes its end (or says nothing)
    char buf[256];
    ssize_t n = read(notify_fd, buf, sizeof buf);
    if (n <= 0) break;
    message.append(buf, n);
  }
  close(notify_fd);
  std::optional<Readiness> readiness = ParseReadiness(message);
  if (readiness) {
    ready_ = readiness->ready;
    detail_ = readiness->detail;
  } else {
    detail_ = "no readiness message: \"" + message + "\"";
  }
}

ServerProcess::~ServerProcess() {
  if (reaped_ || pid_ <= 0) return;
  if (SignalAndWait(stop_signal_, std::chrono::seconds(10)) == -1) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int ServerProcess::SignalAndWait(int signal, std::chrono::milliseconds timeout) {
  if (reaped_) return wait_status_;  // its pid may name another process by now
  kill(pid_, signal);
  if (!AwaitExit(pid_, timeout, &wait_status_)) return -1;
  reaped_ = true;
  return wait_status_;
}

bool ServerProcess::Exited() {
  if (!reaped_ && waitpid(pid_, &wait_status_, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

std::vector<pid_t> ServerProcess::Children() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children");
  std::vector<pid_t> children;
  pid_t child;
  while (in >> child) children.push_back(child);
  return children;
}

CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid = Spawn(argv, &actions);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);

  CommandResult result;
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    result.err = "spawn failed: " + argv[0];
    return result;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, n);
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (!AwaitExit(pid, std::max(left, std::chrono::milliseconds(100)), &status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

}  // namespace corral::testing
