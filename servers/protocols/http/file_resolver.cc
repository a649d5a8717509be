#include "servers/protocols/http/file_resolver.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

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
    default:
      return absl::InternalError(message);
  }
}

}  // namespace

absl::StatusOr<FileResolver> FileResolver::Create(std::string_view root) {
  std::string root_string(root);
  char canonical[PATH_MAX];
  if (realpath(root_string.c_str(), canonical) == nullptr) {
    return ErrnoStatus(errno, "resolve root", root);
  }
  struct stat st;
  if (stat(canonical, &st) != 0) return ErrnoStatus(errno, "stat root", canonical);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(StrCat("root ", canonical, ": not a directory"));
  }
  return FileResolver(canonical);
}

absl::Status FileResolver::Canonicalize(const std::string& candidate, ResolvedFile* out) const {
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
  if (stat(canonical, &out->info) != 0) return ErrnoStatus(errno, "stat", resolved);
  out->path.assign(resolved.data(), resolved.size());
  return absl::OkStatus();
}

absl::StatusOr<ResolvedFile> FileResolver::Resolve(std::string_view path) const {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(StrCat("resolve ", path, ": not an absolute path"));
  }
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("resolve: NUL in path");
  }
  ResolvedFile file;
  std::string candidate = root_ == "/" ? std::string(path) : StrCat(root_, path);
  if (absl::Status status = Canonicalize(candidate, &file); !status.ok()) return status;
  if (S_ISDIR(file.info.st_mode)) {
    file.directory_without_slash = !path.ends_with("/");
    std::string index = StrCat(file.path, file.path == "/" ? "" : "/", "index.html");
    absl::Status status = Canonicalize(index, &file);
    if (absl::IsNotFound(status)) {
      return absl::PermissionDeniedError(
          StrCat("resolve ", candidate, ": directory without index.html"));
    }
    if (!status.ok()) return status;
  }
  if (!S_ISREG(file.info.st_mode)) {
    return absl::PermissionDeniedError(StrCat("resolve ", candidate, ": not a regular file"));
  }
  return file;
}

}  // namespace corral::http
