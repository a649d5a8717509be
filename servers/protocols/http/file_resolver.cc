#include "servers/protocols/http/file_resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

// O_NONBLOCK so that opening a FIFO does not wait for a writer (it is refused right after,
// as not a regular file); reads of a regular file ignore it, pread and sendfile included.
constexpr int kFileFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

// openat2 says EAGAIN when a concurrent rename could have let ".." escape; retrying is the
// documented answer. Bounded, so a tree under constant renames cannot hold a worker.
constexpr int kEagainRetries = 8;

constexpr std::string_view kIndexName = "index.html";

absl::Status ErrnoStatus(int error, std::string_view action, std::string_view path) {
  std::string message = StrCat(action, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EXDEV:  // openat2 RESOLVE_BENEATH: the walk would leave the root
      return absl::PermissionDeniedError(StrCat(action, " ", path, ": leads outside the root"));
    case ENXIO:  // a socket, or a device without its driver
    case ENODEV:
      return absl::PermissionDeniedError(StrCat(action, " ", path, ": not a regular file"));
    default:
      return absl::InternalError(message);
  }
}

// openat2 confined to `dir_fd`, retrying EINTR and (a few times) EAGAIN. -1 with errno set.
int OpenBeneathDir(int dir_fd, const char* relative, std::uint64_t flags) {
  open_how how{};
  how.flags = flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dir_fd, relative, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || (errno == EAGAIN && attempt < kEagainRetries)) continue;
    return -1;
  }
}

// Takes `fd` into out->fd and fstat()s it.
absl::Status Adopt(int fd, std::string_view relative, ResolvedFile* out) {
  out->fd.Reset(fd);
  if (::fstat(fd, &out->info) != 0) return ErrnoStatus(errno, "stat", relative);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FileResolver> FileResolver::Create(std::string_view root, Lookup lookup) {
  std::string root_string(root);
  char canonical[PATH_MAX];
  if (realpath(root_string.c_str(), canonical) == nullptr) {
    return ErrnoStatus(errno, "resolve root", root);
  }
  auto root_fd =
      std::make_shared<base::UniqueFd>(::open(canonical, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!*root_fd) {
    if (errno == ENOTDIR) {
      return absl::FailedPreconditionError(StrCat("root ", canonical, ": not a directory"));
    }
    return ErrnoStatus(errno, "open root", canonical);
  }
  if (lookup == Lookup::kOpenat2) {
    base::UniqueFd probe(OpenBeneathDir(root_fd->get(), ".", O_PATH | O_CLOEXEC));
    // ENOSYS: a kernel before 5.6. EPERM: a seccomp filter that predates openat2 (an O_PATH
    // open of a directory we just opened cannot be refused for permissions).
    if (!probe && (errno == ENOSYS || errno == EPERM)) lookup = Lookup::kRealpath;
  }
  return FileResolver(canonical, std::move(root_fd), lookup);
}

absl::Status FileResolver::Open(const char* relative, ResolvedFile* out) const {
  return lookup_ == Lookup::kOpenat2 ? OpenBeneath(relative, out) : OpenCanonical(relative, out);
}

absl::Status FileResolver::OpenBeneath(const char* relative, ResolvedFile* out) const {
  int fd = OpenBeneathDir(root_fd_->get(), relative, kFileFlags);
  if (fd >= 0) return Adopt(fd, relative, out);
  const int error = errno;
  if (error == ENOSYS) return OpenCanonical(relative, out);  // Create probed; for safety
  if (error == EACCES) {
    // Maybe a directory we may search but not list: its index.html may still be readable.
    int path_fd = OpenBeneathDir(root_fd_->get(), relative, O_PATH | O_CLOEXEC);
    if (path_fd >= 0 && Adopt(path_fd, relative, out).ok() && S_ISDIR(out->info.st_mode)) {
      return absl::OkStatus();
    }
    out->fd.Reset();
  }
  return ErrnoStatus(error, "open", relative);
}

absl::Status FileResolver::OpenCanonical(const char* relative, ResolvedFile* out) const {
  std::string candidate = StrCat(root_ == "/" ? "" : root_, "/", relative);
  char canonical[PATH_MAX];
  if (realpath(candidate.c_str(), canonical) == nullptr) {
    return ErrnoStatus(errno, "resolve", candidate);
  }
  std::string_view resolved(canonical);
  bool inside = resolved == root_ || root_ == "/" ||
                (resolved.starts_with(root_) && resolved[root_.size()] == '/');
  if (!inside) {
    return absl::PermissionDeniedError(
        StrCat("resolve ", candidate, ": leads to ", resolved, ", outside the root"));
  }
  // O_NOFOLLOW: realpath returned a symlink-free path; a symlink swapped in since is refused.
  int fd = ::open(canonical, kFileFlags | O_NOFOLLOW);
  if (fd >= 0) return Adopt(fd, resolved, out);
  const int error = errno;
  if (error == EACCES && ::stat(canonical, &out->info) == 0 && S_ISDIR(out->info.st_mode)) {
    out->fd.Reset();  // a directory we may search but not list; only its index matters
    return absl::OkStatus();
  }
  return ErrnoStatus(error, "open", resolved);
}

absl::StatusOr<ResolvedFile> FileResolver::Resolve(std::string_view path) const {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(StrCat("resolve ", path, ": not an absolute path"));
  }
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("resolve: NUL in path");
  }
  const std::size_t first = path.find_first_not_of('/');
  const std::string_view relative =
      first == std::string_view::npos ? std::string_view() : path.substr(first);
  // The relative path, then maybe "/index.html", NUL-terminated, without allocating.
  char name[PATH_MAX];
  if (relative.size() + 1 + kIndexName.size() + 1 > sizeof(name)) {
    return ErrnoStatus(ENAMETOOLONG, "resolve", path);
  }
  std::size_t length = relative.size();
  if (relative.empty()) {
    name[0] = '.';
    name[1] = '\0';
  } else {
    std::memcpy(name, relative.data(), length);
    name[length] = '\0';
  }

  ResolvedFile file;
  if (absl::Status status = Open(name, &file); !status.ok()) return status;
  if (S_ISDIR(file.info.st_mode)) {
    file.directory_without_slash = !path.ends_with('/');
    file.index = true;
    if (length > 0 && name[length - 1] != '/') name[length++] = '/';
    std::memcpy(name + length, kIndexName.data(), kIndexName.size());
    name[length + kIndexName.size()] = '\0';
    absl::Status status = Open(name, &file);
    if (absl::IsNotFound(status)) {
      return absl::PermissionDeniedError(
          StrCat("resolve ", path, " under ", root_, ": directory without index.html"));
    }
    if (!status.ok()) return status;
  }
  if (!S_ISREG(file.info.st_mode)) {
    return absl::PermissionDeniedError(
        StrCat("resolve ", path, " under ", root_, ": not a regular file"));
  }
  return file;
}

}  // namespace corral::http
