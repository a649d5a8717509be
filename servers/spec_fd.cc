#include "servers/spec_fd.h"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"

namespace corral {

absl::StatusOr<v1::ServerSpec> ReadSpecFd(int fd) {
  base::UniqueFd owned(fd);
  std::string bytes;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      bytes.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      return base::SyscallError(absl::StrCat("read spec from descriptor ", fd), errno);
    }
  }
  v1::ServerSpec spec;
  if (!spec.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec on descriptor ", fd, " is not a ServerSpec (", bytes.size(), " bytes)"));
  }
  return spec;
}

}  // namespace corral
