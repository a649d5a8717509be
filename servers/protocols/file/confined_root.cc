#include "servers/protocols/file/confined_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::protocols::file {
namespace {

// EAGAIN from openat2 means a concurrent rename or mount raced the RESOLVE_BENEATH walk; the
// kernel asks for a retry. Bounded, so a pathological rename storm becomes an error, not a spin.
constexpr int kMaxRaceRetries = 16;

int OpenAt2(int dir_fd, const char* path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  // openat2 insists on mode 0 unless the call may create a file (EINVAL otherwise).
  bool creates = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = creates ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int races = 0;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR) continue;
    if (errno == EAGAIN && ++races < kMaxRaceRetries) continue;
    return -1;
  }
}

}  // namespace

absl::StatusOr<ConfinedRoot> ConfinedRoot::Open(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return base::SyscallError(absl::StrCat("root ", path), errno);
  return ConfinedRoot(base::UniqueFd(fd));
}

base::UniqueFd ConfinedRoot::OpenBeneath(std::string_view relative, int flags, mode_t mode) const {
  std::string path = relative.empty() ? std::string(".") : std::string(relative);
  return base::UniqueFd(OpenAt2(fd_.get(), path.c_str(), flags, mode));
}

}  // namespace corral::protocols::file
