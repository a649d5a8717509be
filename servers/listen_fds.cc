#include "servers/listen_fds.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/syscall_error.h"

namespace corral {
namespace {

// More than any supervisor hands over; a larger count is a corrupt variable.
constexpr int kMaxListenFds = 64;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

absl::StatusOr<std::vector<ListenFd>> TakeListenFds() {
  const std::string count_text = Env("LISTEN_FDS");
  const std::string pid_text = Env("LISTEN_PID");
  const std::string names_text = Env("LISTEN_FDNAMES");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDNAMES");
  std::vector<ListenFd> fds;
  int pid = 0;
  if (count_text.empty() || !absl::SimpleAtoi(pid_text, &pid) || pid != ::getpid()) return fds;
  int count = 0;
  if (!absl::SimpleAtoi(count_text, &count) || count < 0 || count > kMaxListenFds) {
    return absl::InvalidArgumentError(
        absl::StrCat("LISTEN_FDS=\"", count_text, "\" is not a count of 0 to ", kMaxListenFds));
  }
  std::vector<std::string> names = absl::StrSplit(names_text, ':');
  for (int i = 0; i < count; ++i) {
    const int fd = kFirstListenFd + i;
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      return base::SyscallError(absl::StrCat("take LISTEN_FDS descriptor ", fd), errno);
    }
    fds.push_back(
        {static_cast<size_t>(i) < names.size() ? names[i] : "unknown", base::UniqueFd(fd)});
  }
  return fds;
}

absl::Status CheckListenFd(int fd, bool datagrams) {
  int type = 0, listening = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) {
    return base::SyscallError(absl::StrCat("check handed-over descriptor ", fd), errno);
  }
  length = sizeof listening;
  (void)::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length);
  if (datagrams ? type != SOCK_DGRAM : (type != SOCK_STREAM || !listening)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "handed-over descriptor ", fd, " is not ",
        datagrams ? "a UDP socket" : "a listening TCP socket", ", which this protocol needs"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return base::SyscallError(absl::StrCat("make descriptor ", fd, " non-blocking"), errno);
  }
  return absl::OkStatus();
}

}  // namespace corral
