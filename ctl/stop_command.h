// `corralctl stop`: asks the agent to stop a server, saying first what the stop will wait for.
#pragma once

#include <cstdint>
#include <string>

#include "ctl/commands.h"

namespace corral::ctl {

// Stops `name`; `timeout_ms` overrides the spec's stop_timeout_ms when not 0. When the server
// holds connections, first prints on stderr what it waits for ("stopping "web": draining 1
// connection, up to 4 s"). Waits for the agent as long as the stop may take.
int StopCommand(CommandContext& ctx, const std::string& name, uint32_t timeout_ms);

}  // namespace corral::ctl
