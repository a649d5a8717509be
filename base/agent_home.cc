#include "base/agent_home.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::base {

std::string DefaultHome() {
  if (const char* home = std::getenv("CORRAL_HOME"); home != nullptr && *home != '\0') {
    return home;
  }
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string base = (runtime != nullptr && *runtime != '\0') ? runtime : "/tmp";
  return absl::StrCat(base, "/corral-", ::getuid());
}

std::string SocketPath(const std::string& home) { return home + "/agent.sock"; }

absl::Status PrepareHome(const std::string& home) {
  if (::mkdir(home.c_str(), 0700) != 0 && errno != EEXIST) {
    return SyscallError(absl::StrCat("create home ", home), errno);
  }
  struct stat st {};
  if (::lstat(home.c_str(), &st) != 0) {
    return SyscallError(absl::StrCat("stat home ", home), errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("home ", home, " is not a directory"));
  }
  if (st.st_uid != ::getuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat("home ", home, " belongs to uid ", st.st_uid, ", not to uid ", ::getuid(),
                     "; set CORRAL_HOME to a directory of your own"));
  }
  if ((st.st_mode & 0077) != 0 && ::chmod(home.c_str(), 0700) != 0) {
    return SyscallError(absl::StrCat("chmod 0700 ", home), errno);
  }
  return absl::OkStatus();
}

}  // namespace corral::base
