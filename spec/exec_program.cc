#include "spec/exec_program.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral::spec {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

// 0 when execve(2) could run `path`, else the errno it would fail with. A directory is
// EACCES, as execve says.
int ExecError(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EACCES;
  if (::access(path.c_str(), X_OK) != 0) return errno;
  return 0;
}

absl::Status Refused(const std::string& program, int err) {
  return absl::InvalidArgumentError(absl::StrCat("exec ", program, ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<std::string> ResolveExecProgram(const std::string& program, const char* path) {
  if (program.empty()) return Refused(program, ENOENT);
  if (program.find('/') != std::string::npos) {
    std::error_code ec;
    std::string absolute = std::filesystem::absolute(program, ec).lexically_normal().string();
    if (ec) return Refused(program, ec.value());
    if (int err = ExecError(absolute); err != 0) return Refused(program, err);
    return absolute;
  }
  // As execvp(3): the first match that can run wins; if none can, a match that exists but
  // cannot run (EACCES) is a better reason than "not found".
  int reason = ENOENT;
  for (absl::string_view dir :
       absl::StrSplit(path == nullptr || *path == '\0' ? kDefaultPath : path, ':')) {
    // An empty entry means the working directory, as for execvp.
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", program);
    int err = ExecError(candidate);
    if (err == 0) {
      std::error_code ec;
      return std::filesystem::absolute(candidate, ec).lexically_normal().string();
    }
    if (err == EACCES) reason = EACCES;
  }
  return Refused(program, reason);
}

}  // namespace corral::spec
