#ifndef CORRAL_SERVERS_PROTOCOLS_HTTP_FILE_RESOLVER_H_
#define CORRAL_SERVERS_PROTOCOLS_HTTP_FILE_RESOLVER_H_

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corral::http {

// A file the server may send.
struct ResolvedFile {
  std::string path;     // absolute, free of symlinks and dot segments, inside the root
  struct stat info {};  // stat() of `path`; always a regular file
  // The request named a directory without a trailing slash ("/docs" for "/docs/index.html").
  // The connection should answer 301 to the path plus "/" so relative links in the index
  // resolve against the directory; the file is resolved anyway for callers that do not care.
  bool directory_without_slash = false;
};

// Maps decoded request paths onto the files under one served root.
//
// Security contract: the file returned, after every symlink is followed, lies inside the
// root. Dot segments are already gone from a path produced by ParseTarget, but Resolve does
// not rely on that: it compares realpath() of the result with the root, which also catches a
// symlink inside the tree pointing out of it.
//
// Status mapping (HttpStatusOf in status_code.h turns these into the HTTP status):
//   NotFound         (404) nothing at the path, or a path component is not a directory
//   PermissionDenied (403) the file resolves outside the root (a symlink out of it), the
//                          OS denies access, the path is a directory without index.html
//                          (the nginx/Apache choice: no listings, and a visible
//                          difference from "nothing here"), or it is not a regular file
//                          (a FIFO or device would block or never end)
//   InvalidArgument  (400) the path does not start with '/' or contains a NUL
//
// Only realpath() and stat() touch the filesystem. The check-then-open gap remains: a tree
// writable by others could swap a component for a symlink between Resolve and open(), so the
// connection should open `path` with O_NOFOLLOW (its last component is never a symlink).
//
// Immutable after Create; Resolve is safe to call from any number of threads.
class FileResolver {
 public:
  // Canonicalises `root` (realpath) and checks that it is a directory. NotFound or
  // FailedPrecondition with the path and reason otherwise.
  static absl::StatusOr<FileResolver> Create(std::string_view root);

  // Resolves the decoded, normalised request path (Request::path), e.g. "/css/site.css".
  // A directory resolves to its index.html.
  absl::StatusOr<ResolvedFile> Resolve(std::string_view path) const;

  const std::string& root() const { return root_; }

 private:
  explicit FileResolver(std::string root) : root_(std::move(root)) {}

  // realpath + containment + stat for one candidate.
  absl::Status Canonicalize(const std::string& candidate, ResolvedFile* out) const;

  std::string root_;  // canonical, without a trailing slash unless it is "/"
};

}  // namespace corral::http

#endif  // CORRAL_SERVERS_PROTOCOLS_HTTP_FILE_RESOLVER_H_
