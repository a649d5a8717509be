// ResolveExecProgram: where the exec protocol's program is, decided once when a spec is
// validated (by the agent at Start, and again by corral-server as it starts), so a missing or
// non-executable program is refused then, with execve's own words, and not per connection.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace corral::spec {

// Returns the absolute, normalized path of `program`: taken relative to the working directory
// when it holds a slash, otherwise the first executable regular file of that name on `path`
// (a PATH value; empty or null means "/usr/local/bin:/usr/bin:/bin"). INVALID_ARGUMENT
// "exec PROGRAM: REASON" when there is none, REASON being what execve(2) would say
// ("No such file or directory", "Permission denied"). Reads the filesystem; keeps no state.
absl::StatusOr<std::string> ResolveExecProgram(const std::string& program, const char* path);

}  // namespace corral::spec
