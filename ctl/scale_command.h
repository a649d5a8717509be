// `corralctl scale NAME N [--pool | --hubs]` (issue 22 item 5): how many processes serve a
// running server, changed while it serves. N instances by default (new ones start on the held
// sockets and count once ready; the highest-indexed ones drain); --pool and --hubs change
// corral-server's pool size or hub count instead, by a rolling reload. Prints
// `scaled "web" to 3 instances in 412 ms: RUNNING 3/3` (the server as JSON with --json).
#pragma once

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "ctl/commands.h"

namespace corral::ctl {

struct ScaleArgs {
  std::string name;
  uint32_t count = 0;
  bool pool = false;
  bool hubs = false;
};

// Declares the subcommand; `args` is written as `app` parses and must outlive the parse.
CLI::App* AddScaleCommand(CLI::App& app, ScaleArgs& args);

int ScaleCommand(CommandContext& ctx, const ScaleArgs& args);

}  // namespace corral::ctl
