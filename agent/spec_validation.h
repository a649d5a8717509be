// Checks a ServerSpec from a client and fills in its defaults, before anything is created.
// Pure apart from looking at spec.root on disk.
#pragma once

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

inline constexpr uint32_t kDefaultMaxWorkers = 1024;
inline constexpr uint32_t kDefaultStopTimeoutMs = 5'000;
inline constexpr uint32_t kDefaultIdleTimeoutMs = 60'000;
inline constexpr uint64_t kDefaultLogMaxBytes = 10 << 20;
inline constexpr uint32_t kDefaultLogKeepFiles = 5;
// The restart policy's defaults are in restart_policy.h.

// Returns the spec with defaults filled in and `root` made absolute, or INVALID_ARGUMENT with a
// message naming the field and what would be accepted, or UNIMPLEMENTED for a protocol x model
// pair that is not built yet.
absl::StatusOr<v1::ServerSpec> ValidateSpec(const v1::ServerSpec& spec);

}  // namespace corral::agent
