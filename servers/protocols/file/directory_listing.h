// The LIST command's filesystem side: the entries of one directory under the served root.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "servers/protocols/file/confined_root.h"
#include "servers/protocols/file/list_entry.h"

namespace corral::protocols::file {

// Entries of `directory` (normalized; empty for the root), "." and ".." left out, sorted by
// name (byte order) so that listings are stable. A symlink is described by what it points to
// when that lies inside the root (resolved with the same openat2 confinement as GET), and as
// "other" when it dangles or leads out: a listing reveals nothing outside the root.
// Errors carry the reason only, with ErrnoStatus codes (NOT_FOUND, PERMISSION_DENIED, ...).
absl::StatusOr<std::vector<ListEntry>> ListDirectory(const ConfinedRoot& root,
                                                     std::string_view directory);

}  // namespace corral::protocols::file
