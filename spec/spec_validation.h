// ValidateSpec: the one validation of a ServerSpec, shared by corral-agent (a client's spec, before
// anything is created) and corral-server (the spec the agent hands it, or the one its standalone
// flags built), so a bad setting gets the same message whichever way it came. Fills in every
// default (FillDefaults, fill_defaults.h). Pure apart from making spec.root absolute and resolving
// the exec protocol's program on the filesystem (spec/exec_program.h).
#pragma once

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"
#include "spec/spec_defaults.h"

namespace corral::spec {

// Whether the server keeps live stats: then each worker needs a slot of the stats scoreboard,
// which bounds max_workers. Under the agent it always does.
enum class Stats { kKept, kNotKept };

// Returns the spec with defaults filled in and `root` made absolute, or INVALID_ARGUMENT with a
// message naming the field and what would be accepted, or UNIMPLEMENTED for a protocol x model
// pair that is not built yet. Validating its result again changes nothing.
absl::StatusOr<v1::ServerSpec> ValidateSpec(const v1::ServerSpec& spec, Stats stats = Stats::kKept);

}  // namespace corral::spec
