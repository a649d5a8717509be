// The servers a command acts on: the NAMEs given, or with --all every server the agent lists.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ctl/commands.h"

namespace corral::ctl {

// Runs `one` for each name, or with `all` for every server the agent lists (none is fine), each
// after the servers its depends_on names, or with `reverse_dependencies` (stop, rm) before them.
// Every server is tried; returns the first failure's exit code, else 0. Names and
// --all together, or neither, is a usage error. `verb` names the command in messages ("stop").
int ForEachServer(CommandContext& ctx, const std::string& verb,
                  const std::vector<std::string>& names, bool all,
                  const std::function<int(const std::string&)>& one,
                  bool reverse_dependencies = false);

}  // namespace corral::ctl
