// `ls`, `stats` and `top` across several agents (--agents a,b or --all, from the contexts file):
// every agent is asked at once, each on a thread and a connection of its own, and the answers are
// printed as one table with an AGENT column. An agent that cannot be reached or refuses is a
// row with its error; every other agent is still listed. The exit code is then that of the
// first such agent in the given order (6 unreachable, 5 refused, ...), so that a script sees
// that the table is incomplete.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ctl/contexts.h"
#include "ctl/top_view.h"

namespace corral::ctl {

struct ManyAgentsOptions {
  bool json = false;
  std::chrono::seconds timeout{60};
};

// The agents `names` names (comma-separated lists already split), or with `all` every agent of
// `contexts`. NotFound for an unknown name; InvalidArgument when the selection is empty.
absl::StatusOr<std::vector<AgentContext>> SelectAgents(const Contexts& contexts,
                                                       const std::vector<std::string>& names,
                                                       bool all);

int ListManyCommand(const std::vector<AgentContext>& agents, const ManyAgentsOptions& options);
// Stats of every server of every agent, a line each (the `watch` line).
int StatsManyCommand(const std::vector<AgentContext>& agents, const ManyAgentsOptions& options);
// `top` over every agent at once, each server named AGENT/NAME; an agent that fails a refresh
// is named in the title and the others are shown.
int TopManyCommand(const std::vector<AgentContext>& agents, const ManyAgentsOptions& options,
                   const TopOptions& top);

}  // namespace corral::ctl
