// Validation of client-supplied paths: the first of two fences around the served root. It
// refuses, with a message a person can act on, what is never allowed (absolute paths, ".."
// components, NUL bytes), so that a client learns early and clearly why. The second fence,
// the one security rests on, is the kernel: ConfinedRoot resolves every path with
// openat2(RESOLVE_BENEATH), which also stops symlinks that lead out of the root.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace corral::protocols::file {

// Returns `path` (already unescaped) with empty and "." components dropped, components joined
// by single '/'. The empty string names the root itself.
//   PERMISSION_DENIED  the path is absolute, or has a ".." component
//   INVALID_ARGUMENT   the path holds a NUL byte
// The message is the reason alone ("absolute paths are not allowed ..."); the caller prefixes
// the action and the object.
absl::StatusOr<std::string> NormalizeRelativePath(std::string_view path);

// Splits a normalized, non-empty path into its directory ("" for the root) and final name.
struct PathParts {
  std::string directory;
  std::string name;
};
PathParts SplitLastComponent(std::string_view normalized);

}  // namespace corral::protocols::file
