// ApplyConfig: makes an agent run what a config file says (docs/config.md). Lists the agent's
// servers, plans (spec/config_plan.h), prints the plan, then, unless it is a dry run, carries it
// out in dependency order: a server is created or changed only once every server it depends
// on that the plan touches is READY (RUNNING) again, and removed only after its dependents;
// servers with nothing between them are done at once (a few at a time). The first failure ends
// the apply after the changes already under way, with what failed and why; what was applied
// stays.
// Used by `corralctl apply` and `corral-agent --config` (which calls its own socket), so both
// apply a file the same way.
#pragma once

#include <ostream>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "corral/v1/agent.grpc.pb.h"
#include "spec/config_file.h"

namespace corral::spec {

struct ApplyOptions {
  bool dry_run = false;  // print the plan only
  bool prune = false;    // also remove the agent's servers the file does not name
  // Bounds each call, a start's wait for READY included.
  absl::Duration step_timeout = absl::Seconds(60);
};

// Prints the plan and each step done to `out`. Errors: INVALID_ARGUMENT for a file that does
// not fit the agent (a dependency it lacks), the agent's own error for a call that failed
// (prefixed with the step: `start "web": ...`), FAILED_PRECONDITION for a server that did not
// become READY (its state and reason), DEADLINE_EXCEEDED for one not READY in time.
absl::Status ApplyConfig(v1::Agent::StubInterface& agent, const ConfigFile& file,
                         const ApplyOptions& options, std::ostream& out);

}  // namespace corral::spec
