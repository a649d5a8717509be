#include "ctl/agent_socket_check.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "base/syscall_error.h"

namespace corral::ctl {
namespace {

std::string Mode(const struct stat& st) { return absl::StrFormat("%04o", st.st_mode & 07777); }

absl::Status CheckOwnedHome(const std::string& home, const std::string& path) {
  struct stat st {};
  if (::lstat(home.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::UnavailableError(
          absl::StrCat("connect to unix:", path, ": no such file or directory"));
    }
    return base::SyscallError("check home " + home, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::PermissionDeniedError(
        absl::StrCat("refusing home ", home,
                     ": it is not a directory (a symlink or file planted there?); remove it, or "
                     "set CORRAL_HOME to a directory of your own"));
  }
  if (st.st_uid != ::getuid()) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "refusing home %s: it belongs to uid %d, not to you (uid %d), so its socket may not be "
        "your agent's; remove it, or set CORRAL_HOME to a directory of your own",
        home, st.st_uid, ::getuid()));
  }
  if ((st.st_mode & 022) != 0) {
    return absl::PermissionDeniedError(
        absl::StrFormat("refusing home %s: mode %s lets others replace its socket; chmod 0700 %s",
                        home, Mode(st), home));
  }
  return absl::OkStatus();
}

}  // namespace

std::string UnixSocketPath(const std::string& target) {
  if (absl::StartsWith(target, "unix://")) return target.substr(7);
  if (absl::StartsWith(target, "unix:")) return target.substr(5);
  return "";
}

absl::Status CheckAgentSocket(const std::string& path, const std::string& owned_home) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("connect to unix:%s: a socket path has 1 to %d bytes, this one %d", path,
                        sizeof(sockaddr_un{}.sun_path) - 1, path.size()));
  }
  if (!owned_home.empty()) {
    if (absl::Status home = CheckOwnedHome(owned_home, path); !home.ok()) return home;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::UnavailableError(
          absl::StrCat("connect to unix:", path, ": ", base::ErrnoText(err)));
    }
    if (err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(
          "permission denied on ", path,
          ": its directory is closed to you; ask its owner, or use --agent for your own agent"));
    }
    return base::SyscallError("check socket " + path, err);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("connect to unix:", path, ": not a socket; is --agent right?"));
  }
  if (!owned_home.empty() && st.st_uid != ::getuid()) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "refusing socket %s: it belongs to uid %d, not to you (uid %d); remove it and restart "
        "your agent",
        path, st.st_uid, ::getuid()));
  }
  // connect(2) on a unix socket needs write permission on it.
  if (::access(path.c_str(), W_OK) != 0 && errno == EACCES) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "permission denied on %s (owned by uid %d, mode %s): ask its owner, or use --agent for "
        "your own agent",
        path, st.st_uid, Mode(st)));
  }
  return absl::OkStatus();
}

}  // namespace corral::ctl
