#include "agent/agent_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::agent {

absl::StatusOr<AgentLock> AgentLock::Acquire(const std::string& home) {
  std::string path = home + "/agent.lock";
  base::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return base::SyscallError(absl::StrCat("open ", path), errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return base::SyscallError(absl::StrCat("lock ", path), errno);
    char pid[32] = {};
    (void)!::pread(fd.get(), pid, sizeof pid - 1, 0);
    return absl::FailedPreconditionError(absl::StrCat(
        "another corral-agent (pid ", absl::StripAsciiWhitespace(pid), ") already runs in ", home,
        "; stop it first, or give this one its own home with --home or CORRAL_HOME"));
  }
  std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return base::SyscallError(absl::StrCat("write ", path), errno);
  }
  return AgentLock(std::move(fd));
}

}  // namespace corral::agent
