// `corralctl reload NAME [-- PROGRAM ARGS...]` (issue 22): a rolling replacement of a running
// server's processes on the sockets the agent holds, with no gap; with a program, a command
// server's new command. Prints `reloaded "web" in 240 ms` (or the server as JSON with --json);
// a failed reload prints the agent's reason and exits non-zero, the old processes serving on.
#pragma once

#include <string>
#include <vector>

#include "ctl/commands.h"

namespace corral::ctl {

int ReloadCommand(CommandContext& ctx, const std::string& name,
                  const std::vector<std::string>& command);

}  // namespace corral::ctl
