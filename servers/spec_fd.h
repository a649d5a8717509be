// How corral-server receives its ServerSpec from the agent (`--spec-fd N`): the descriptor holds
// the spec's protobuf binary encoding, nothing else, read from its current offset to its end.
// The agent writes it to a sealed memfd before the spawn (agent/spawner.cc), so the server reads
// it at any pace and no pipe can fill; a file works too (`--spec-fd 5 5<spec.binpb`).
#pragma once

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"

namespace corral {

// Reads the spec from `fd` and closes it. Errors say what failed: "read spec from descriptor 4:
// Bad file descriptor", "spec on descriptor 4 is not a ServerSpec (37 bytes)". The spec is not
// validated here (spec::ValidateSpec).
absl::StatusOr<v1::ServerSpec> ReadSpecFd(int fd);

}  // namespace corral
