// `corralctl apply -f FILE [--dry-run] [--prune]` and `corralctl export`: a config file
// (docs/config.md) applied to the agent, and the agent's servers written as one.
#pragma once

#include <string>

#include "ctl/commands.h"

namespace corral::ctl {

struct ApplyFlags {
  std::string file;
  bool dry_run = false;
  bool prune = false;
};

// Checks the whole file first (an error names FILE:LINE:COLUMN and the field; nothing is
// applied), prints the plan, applies it (spec/config_apply.h). Exit codes: 2 for a bad file,
// 1 for a server that did not become READY, else the agent's error's.
int ApplyCommand(CommandContext& ctx, const ApplyFlags& flags);

// The agent's servers as a config file on stdout, which `apply` takes back with no changes.
int ExportCommand(CommandContext& ctx);

}  // namespace corral::ctl
