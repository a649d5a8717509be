// The corralctl commands over corral.v1.Stats: `stats` (one sample, a block per server or
// --json) and `watch` (a line per interval). `top` is in top_view.h. Same contract as
// commands.h: output on stdout, one error line on stderr, exit codes from exit_codes.h.
#pragma once

#include <cstdint>
#include <string>

#include "ctl/commands.h"

namespace corral::ctl {

// A Stats stub on the agent address of `ctx`.
// One sample of `name` (every server when empty); `per_worker` adds the worker slots.
int StatsCommand(CommandContext& ctx, const std::string& name, bool per_worker);

// A line per sample of `name` (every server when empty) every `interval_ms`, until interrupted
// or, when `count` > 0, after `count` samples. With --json, one StatsReport per line.
int WatchCommand(CommandContext& ctx, const std::string& name, uint32_t interval_ms,
                 uint32_t count);

}  // namespace corral::ctl
