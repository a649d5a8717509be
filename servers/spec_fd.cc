#include "servers/spec_fd.h"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"

namespace corral {
namespace {

// The agent accepts specs over gRPC, whose default message limit is 4 MiB, so no spec it hands
// over is larger; a descriptor that yields more is not the agent's and is refused before the
// bytes are held.
constexpr size_t kMaxSpecBytes = size_t{4} << 20;

}  // namespace

absl::StatusOr<v1::ServerSpec> ReadSpecFd(int fd) {
  base::UniqueFd owned(fd);
  std::string bytes;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      if (bytes.size() + static_cast<size_t>(n) > kMaxSpecBytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("spec on descriptor ", fd, " exceeds ", kMaxSpecBytes >> 20, " MiB"));
      }
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
