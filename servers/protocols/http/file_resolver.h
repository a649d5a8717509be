#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::http {

// A file the server may send, already open.
struct ResolvedFile {
  base::UniqueFd fd;    // O_RDONLY (and O_NONBLOCK, which regular files ignore); inside the root
  struct stat info {};  // fstat() of `fd`; always a regular file
  // The request named a directory and `fd` is its index.html: the name to take the
  // Content-Type from is "index.html", not the request path.
  bool index = false;
  // The request named a directory without a trailing slash ("/docs" for "/docs/index.html").
  // The connection should answer 301 to the path plus "/" so relative links in the index
  // resolve against the directory; the file is resolved anyway for callers that do not care.
  bool directory_without_slash = false;
};

// Maps decoded request paths onto the files under one served root, and opens them.
//
// Security contract: the file opened lies inside the root, however it was reached. Symlinks
// are followed as long as every step stays inside the root; a symlink or ".." leading out
// of it is refused. Dot segments are already gone from a path produced by ParseTarget, but
// Resolve does not rely on that. Since the file is opened by the same call that checks the
// path, nothing can swap a component between the check and the open.
//
// How (Lookup):
//   kOpenat2   openat2(root_fd, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), then fstat:
//              the kernel enforces containment during the walk (an escape is EXDEV). Two
//              syscalls per file.
//   kRealpath  realpath() compared with the root, then open(O_NOFOLLOW) and fstat: for
//              kernels before 5.6 (or sandboxes) without openat2. A tree writable by others
//              could still swap a directory for a symlink between realpath and open; the
//              last component, at least, cannot be a symlink (O_NOFOLLOW).
// Create picks kOpenat2 when the kernel has it, unless the caller forces kRealpath.
//
// Status mapping (HttpStatusOf in status_code.h turns these into the HTTP status):
//   NotFound         (404) nothing at the path, a path component is not a directory, or a
//                          symlink loop (or, under kOpenat2, a /proc magic link)
//   PermissionDenied (403) the path leads outside the root (a symlink or ".." out of it),
//                          the OS denies access, the path is a directory without index.html
//                          (the nginx/Apache choice: no listings, and a visible
//                          difference from "nothing here"), or it is not a regular file
//                          (a FIFO or device would block or never end; one inside the root
//                          is opened non-blocking, then refused)
//   InvalidArgument  (400) the path does not start with '/' or contains a NUL
//
// Immutable after Create; copies share the root descriptor, which lives as long as the last
// copy. Resolve is safe to call from any number of threads, and from forked children.
class FileResolver {
 public:
  enum class Lookup { kOpenat2, kRealpath };

  // Canonicalises `root` (realpath), checks that it is a directory and opens it (O_PATH).
  // NotFound or FailedPrecondition with the path and reason otherwise. `lookup` kOpenat2
  // falls back to kRealpath when openat2 is missing (ENOSYS) or filtered (EPERM).
  static absl::StatusOr<FileResolver> Create(std::string_view root,
                                             Lookup lookup = Lookup::kOpenat2);

  // Resolves and opens the decoded, normalised request path (Request::path), e.g.
  // "/css/site.css". A directory resolves to its index.html. Allocates nothing on success
  // under kOpenat2.
  absl::StatusOr<ResolvedFile> Resolve(std::string_view path) const;

  const std::string& root() const { return root_; }
  // The root's O_PATH directory descriptor, shared by every copy (FileCache stats paths
  // relative to it).
  const std::shared_ptr<const base::UniqueFd>& root_fd() const { return root_fd_; }
  Lookup lookup() const { return lookup_; }

 private:
  FileResolver(std::string root, std::shared_ptr<const base::UniqueFd> root_fd, Lookup lookup)
      : root_(std::move(root)), root_fd_(std::move(root_fd)), lookup_(lookup) {}

  // Opens `relative` (NUL-terminated, relative to the root, "." for the root itself) into
  // out->fd and fstat()s it into out->info. A directory the process may search but not
  // read still succeeds, with an O_PATH descriptor, so that its index can be tried.
  absl::Status Open(const char* relative, ResolvedFile* out) const;
  absl::Status OpenBeneath(const char* relative, ResolvedFile* out) const;
  absl::Status OpenCanonical(const char* relative, ResolvedFile* out) const;

  std::string root_;  // canonical, without a trailing slash unless it is "/"
  std::shared_ptr<const base::UniqueFd> root_fd_;  // O_PATH | O_DIRECTORY of root_
  Lookup lookup_;
};

}  // namespace corral::http
