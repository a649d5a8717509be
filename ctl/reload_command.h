// `corralctl reload NAME [-- PROGRAM ARGS...]` (issue 22): a rolling replacement of a running
// server's processes on the sockets the agent holds, with no gap; with a program, a command
// server's new command. Prints `reloaded "web" in 240 ms` (or the server as JSON with --json);
// a failed reload prints the agent's reason and exits non-zero, the old processes serving on
// (a reload rolled back by a gate: `rolled back web: p99 84 ms > 50 ms`).
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "corral/v1/agent.pb.h"
#include "ctl/commands.h"

namespace corral::ctl {

// The rollout gates for one reload (--check-ms, --max-error-rate, --max-p99-ms,
// --min-requests, --require-requests), written into `gates` as `reload` parses; the spec's
// rollout_* fields apply to what is not given. `gates` must outlive the parse.
void AddReloadGateFlags(CLI::App& reload, v1::ReloadRequest& gates);

// `gates`: the request's override fields (AddReloadGateFlags); its name and spec are set here.
int ReloadCommand(CommandContext& ctx, const std::string& name,
                  const std::vector<std::string>& command,
                  const v1::ReloadRequest& gates = v1::ReloadRequest());

}  // namespace corral::ctl
