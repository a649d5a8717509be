#include "agent/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"

namespace corral::agent {
namespace {

// 0, or the errno of the failed write.
int WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

absl::Status Prefixed(const std::string& prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", std::string(status.message())));
}

}  // namespace

std::string StateFilePath(const std::string& home) { return home + "/state.pb"; }

absl::Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  base::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return base::SyscallError("open " + tmp, errno);
  if (int err = WriteAll(fd.get(), bytes); err != 0) {
    ::unlink(tmp.c_str());
    return base::SyscallError("write " + tmp, err);
  }
  if (::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return base::SyscallError("fsync " + tmp, err);
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return base::SyscallError(absl::StrCat("rename ", tmp, " to ", path), err);
  }
  // The rename itself must reach the disk, or a power cut could bring the old file back.
  std::string dir = std::filesystem::path(path).parent_path().string();
  base::UniqueFd dir_fd(
      ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd) ::fsync(dir_fd.get());
  return absl::OkStatus();
}

absl::Status SaveStateFile(const std::string& path, const v1::StateFile& state) {
  std::string bytes;
  if (!state.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("save state ", path, ": cannot serialise"));
  }
  absl::Status s = WriteFileAtomically(path, bytes);
  return s.ok() ? s : Prefixed("save state " + path, s);
}

absl::StatusOr<v1::StateFile> LoadStateFile(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return v1::StateFile();
    return base::SyscallError("load state: open " + path, errno);
  }
  std::string bytes;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::SyscallError("load state: read " + path, errno);
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  v1::StateFile state;
  if (!state.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("load state ", path,
                     ": not a state file (does not parse); move it away to "
                     "start with no servers"));
  }
  return state;
}

}  // namespace corral::agent
