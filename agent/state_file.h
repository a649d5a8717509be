// The agent's desired state on disk (HOME/state.pb, format: v1::StateFile in server.proto), so a
// restarted agent knows what should run and which processes to adopt. Writes are atomic: a
// reader (or a crash) sees the old file or the new one, never a mix. Any thread; no state.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

// HOME/state.pb.
std::string StateFilePath(const std::string& home);

// Writes `bytes` to `path` through `path.tmp`: write, fsync, rename over `path`, fsync the
// directory. On any failure `path` is left as it was and the error names the step and the file,
// e.g. "open /h/state.pb.tmp: Is a directory".
absl::Status WriteFileAtomically(const std::string& path, const std::string& bytes);

// Serialises and writes `state` atomically; errors say "save state FILE: ...".
absl::Status SaveStateFile(const std::string& path, const v1::StateFile& state);

// The saved state; an empty one when the file does not exist. INVALID_ARGUMENT for a file
// that does not parse, naming it.
absl::StatusOr<v1::StateFile> LoadStateFile(const std::string& path);

}  // namespace corral::agent
