// How a change to each ServerSpec field takes effect on a running server: at once (the agent
// alone uses the field: supervision policy, log limits, health probe, dependencies) or only
// through new processes (corral-server or the command reads it at its start: everything about
// serving). The one table of it, used by UpdateServer (the agent), `corralctl update --dry-run`
// and `corralctl apply`'s plan, so all three say the same.
#pragma once

#include <string_view>

namespace corral::spec {

enum class FieldApply {
  kAtOnce,        // the agent applies the new value to the running server
  kNewProcesses,  // the server needs new processes (a reload) to see it
};

// For a ServerSpec field's proto name. A field missing from the table (a new one) needs new
// processes: the safe answer, never a change that silently does nothing.
FieldApply HowFieldApplies(std::string_view field);

// "at once" or "new processes".
const char* FieldApplyName(FieldApply how);

}  // namespace corral::spec
