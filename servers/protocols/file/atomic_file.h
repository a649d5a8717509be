// AtomicFile: a new file that appears under its name complete, or not at all. The bytes go to
// an unnamed O_TMPFILE in the target directory; Commit() fsyncs it and gives it its name in one
// atomic step. Until then nothing is visible, and if the process dies (client gone, timeout,
// server killed) the kernel frees the unnamed file: a broken transfer leaves nothing behind.
//
//   no replace: linkat("/proc/self/fd/N", dir, name, AT_SYMLINK_FOLLOW) fails with EEXIST if
//               the name appeared meanwhile (no check-then-create race); the /proc route needs
//               no CAP_DAC_READ_SEARCH, unlike AT_EMPTY_PATH.
//   replace:    link to a unique hidden name in the same directory, then renameat over the
//               target: readers see the old file or the new one, never a mix.
//
// Fallback when the filesystem lacks O_TMPFILE (EOPNOTSUPP / EISDIR): a named temporary file
// ".corral-upload-XXXXXX" in the target directory, unlinked on every failure path. Only a
// SIGKILL between its creation and Commit can then leave one behind.
//
// Used by the server for uploads and by corral-file for downloads. Move-only; one thread at a
// time. The destructor discards an uncommitted file.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::protocols::file {

// Prefix of the hidden names used for the fallback and for replace; LIST shows them like any
// other name (they are short-lived).
inline constexpr char kTempPrefix[] = ".corral-upload-";

class AtomicFile {
 public:
  struct Options {
    bool replace = false;  // may Commit() replace an existing file of that name?
    mode_t mode = 0644;    // before the umask
    // Test seam: false forces the named-temp-file fallback.
    bool use_tmpfile = true;
  };

  // `dir` is the target directory, opened O_RDONLY | O_DIRECTORY (fsync needs a real
  // descriptor, not O_PATH); the AtomicFile owns it. `name` is one path component (no '/').
  // Errors carry the reason only ("create temporary file: no space left on device"), with the
  // codes of ErrnoStatus (fs_error.h); the caller names the object.
  static absl::StatusOr<AtomicFile> Create(base::UniqueFd dir, std::string name,
                                           const Options& options);

  AtomicFile(AtomicFile&&) = default;
  AtomicFile& operator=(AtomicFile&&) = default;
  ~AtomicFile();

  // Appends all `len` bytes (retries short writes and EINTR).
  absl::Status Write(const char* data, size_t len);

  // fsync, then name the file (see above), then fsync the directory (best effort: the file is
  // already in place). ALREADY_EXISTS ("exists and overwrite is not allowed") when the name is
  // taken and replace is off. Whatever the outcome, the AtomicFile is spent afterwards.
  absl::Status Commit();

  // Whether this file went the named-temp-file way (for tests).
  bool uses_named_temp() const { return !temp_name_.empty(); }

 private:
  AtomicFile(base::UniqueFd dir, base::UniqueFd file, std::string name, std::string temp_name,
             bool replace);

  absl::Status CommitUnnamed();
  absl::Status CommitNamed();
  void Discard();

  base::UniqueFd dir_;
  base::UniqueFd file_;
  std::string name_;
  std::string temp_name_;  // empty for O_TMPFILE
  bool replace_ = false;
};

// Whether `name` exists in `dir` (a symlink counts, dangling or not). Errors other than ENOENT
// count as "exists": the caller refuses, and the atomic link would refuse anyway.
bool NameExists(int dir, const std::string& name);

}  // namespace corral::protocols::file
