#include "agent/scoreboard_handover.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "servers/stats/scoreboard_reader.h"

namespace corral::agent {

absl::StatusOr<ScoreboardFile> CreateScoreboardFile(const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  ScoreboardFile file;
  file.fd = base::UniqueFd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!file.fd) return base::SyscallError(absl::StrCat("create scoreboard ", path), errno);
  // The reader validates what it reads; a file it refuses starts the count again.
  if (absl::StatusOr<stats::ScoreboardReader> current = stats::ScoreboardReader::Open(path);
      current.ok()) {
    file.generation = current->identity().generation + 1;
  }
  return file;
}

absl::Status PublishScoreboardFile(int fd, const std::string& path) {
  // linkat through /proc names an unnamed file without privilege (AT_EMPTY_PATH would need
  // CAP_DAC_READ_SEARCH); a temporary name, then rename, replaces the old file atomically.
  const std::string temp = path + ".new";
  const std::string what = absl::StrCat("publish scoreboard ", path);
  ::unlink(temp.c_str());  // left by an agent that died between the two steps
  const std::string proc = absl::StrCat("/proc/self/fd/", fd);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return base::SyscallError(absl::StrCat(what, ": link ", temp), errno);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return base::SyscallError(absl::StrCat(what, ": rename ", temp), err);
  }
  return absl::OkStatus();
}

}  // namespace corral::agent
