#include "agent/daemon.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::agent {
namespace {

// The first byte of a report; the rest is the message.
constexpr char kReady = 'R';
constexpr char kFailed = 'F';

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone: nobody is waiting for the verdict
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// The parent: reads the report until the daemon closes the pipe, prints it, exits.
[[noreturn]] void AwaitReport(base::UniqueFd fd, const std::string& log_path) {
  std::string report;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<size_t>(n));
  }
  if (!report.empty() && report[0] == kReady) {
    std::fprintf(stdout, "%s\n", report.c_str() + 1);
    std::fflush(stdout);
    std::_Exit(0);
  }
  if (!report.empty() && report[0] == kFailed) {
    std::fprintf(stderr, "corral-agent: %s\n", report.c_str() + 1);
  } else {
    std::fprintf(stderr, "corral-agent: the daemon ended before it was serving; see %s\n",
                 log_path.c_str());
  }
  std::_Exit(1);
}

}  // namespace

void StartReport::Ready(std::string_view message) {
  if (!fd_) return;
  WriteAll(fd_.get(), std::string(1, kReady).append(message));
  fd_.Reset();
}

void StartReport::Failed(std::string_view message) {
  if (!fd_) return;
  WriteAll(fd_.get(), std::string(1, kFailed).append(message));
  fd_.Reset();
}

absl::StatusOr<StartReport> Detach(const std::string& log_path) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return base::SyscallError("make the start report pipe", errno);
  base::UniqueFd read_end(ends[0]);
  base::UniqueFd write_end(ends[1]);
  pid_t pid = ::fork();
  if (pid < 0) return base::SyscallError("fork the daemon", errno);
  if (pid > 0) {
    write_end.Reset();  // so that the daemon's end of life is an end of file here
    AwaitReport(std::move(read_end), log_path);
  }
  read_end.Reset();
  // A child of the fork is never a process group leader, so setsid cannot fail.
  (void)::setsid();
  if (::chdir("/") != 0) {
    StartReport report(std::move(write_end));
    report.Failed(std::string(base::SyscallError("change directory to /", errno).message()));
    std::_Exit(1);
  }
  return StartReport(std::move(write_end));
}

absl::Status RedirectStdioToDevNull() {
  base::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return base::SyscallError("open /dev/null", errno);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::dup2(null.get(), fd) < 0) return base::SyscallError("redirect stdio to /dev/null", errno);
  }
  return absl::OkStatus();
}

std::string PidFile::Path(const std::string& home) { return home + "/agent.pid"; }

absl::StatusOr<PidFile> PidFile::Write(const std::string& home, std::string* stale) {
  const std::string path = Path(home);
  stale->clear();
  if (std::ifstream old(path); old) {
    std::stringstream text;
    text << old.rdbuf();
    *stale = std::string(absl::StripAsciiWhitespace(text.str()));
    if (stale->empty()) *stale = "(empty)";
  }
  const std::string temp = absl::StrCat(path, ".tmp");
  base::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return base::SyscallError("create " + temp, errno);
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::write(fd.get(), pid.data(), pid.size()) != static_cast<ssize_t>(pid.size()) ||
      ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return base::SyscallError("write " + temp, err);
  }
  fd.Reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return base::SyscallError("rename " + temp + " to " + path, err);
  }
  return PidFile(path);
}

PidFile::~PidFile() {
  if (path_.empty()) return;
  // Only while it still names this process: never another agent's file.
  std::ifstream file(path_);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  int pid = 0;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid) && pid == ::getpid()) {
    ::unlink(path_.c_str());
  }
}

}  // namespace corral::agent
