// `corralctl update NAME [start flags...] [--dry-run]` (issue 22 item 4): changes the fields the
// flags name and leaves every other field of the server's spec as it is.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "ctl/commands.h"
#include "spec/spec_flags.h"

namespace corral::ctl {

// `command` is the parsed `update` subcommand and `flags` the SpecFlags declared on it: the
// fields whose flags were given are taken from `flags`, the rest from the server's current
// spec (Get), and the whole sent to UpdateServer. Prints each changed field and how it applies
// (at once, or through a reload), then what was done; with `dry_run`, what would be.
int UpdateCommand(CommandContext& ctx, const std::string& name, const CLI::App& command,
                  const spec::SpecFlags& flags, bool dry_run);

}  // namespace corral::ctl
