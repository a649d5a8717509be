// ConfinedRoot: the served directory, and the only way this protocol reaches a file in it.
// Every lookup goes through openat2(root_fd, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS):
// the kernel refuses, during the very lookup that opens the file, any path that would leave
// the root ("..", absolute symlinks, symlinks climbing out), so there is no check-then-use
// window for a concurrent rename or symlink swap to exploit.
//
// The root descriptor is opened once (O_PATH | O_DIRECTORY | O_CLOEXEC) and then only read, so
// one ConfinedRoot serves any number of threads at once, and survives fork (the child inherits
// the descriptor; there is no other state). Renaming the root directory while serving keeps
// serving the same directory.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::protocols::file {

class ConfinedRoot {
 public:
  // Errors name the root: "root /x: no such file or directory" (NOT_FOUND), "root /x: not a
  // directory" (FAILED_PRECONDITION), "root /x: permission denied" (PERMISSION_DENIED).
  static absl::StatusOr<ConfinedRoot> Open(const std::string& path);

  // Opens `relative` (normalized: no leading '/', no ".."; empty means the root itself) with
  // `flags` (O_CLOEXEC is added) and `mode` (for O_CREAT / O_TMPFILE), confined to the root.
  // On failure returns an invalid descriptor and leaves errno set: EXDEV for a path leading out
  // of the root, ELOOP for a magic link or a symlink loop, otherwise what open(2) says. EINTR
  // and EAGAIN (a concurrent rename raced the lookup) are retried.
  base::UniqueFd OpenBeneath(std::string_view relative, int flags, mode_t mode = 0) const;

  int fd() const { return fd_.get(); }

 private:
  explicit ConfinedRoot(base::UniqueFd fd) : fd_(std::move(fd)) {}

  base::UniqueFd fd_;
};

}  // namespace corral::protocols::file
