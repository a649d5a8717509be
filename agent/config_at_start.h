// corral-agent --config FILE: the file is read and checked before the agent takes its socket
// (a bad file fails the start with the file's error), then applied once the agent serves,
// after the saved servers were restored, through the agent's own socket with the same code as
// `corralctl apply` (spec/config_apply.h): the same plan, order and waits for READY.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "spec/config_file.h"

namespace corral::agent {

// Applies `file` (never pruning) to the agent serving on the unix socket `socket_path`,
// logging the plan and each step. Blocks until done; call it off the loop thread, which must
// be running. Errors as ApplyConfig's: INVALID_ARGUMENT when the file does not fit the agent.
absl::Status ApplyConfigAtStart(const spec::ConfigFile& file, const std::string& socket_path,
                                absl::Duration step_timeout);

}  // namespace corral::agent
