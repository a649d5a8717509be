// `corralctl top`: every server's live figures on one screen, refreshed in place, like top(1)
// or pm2 monit. On a terminal it switches to the alternate screen with the keyboard in raw
// mode; a key picks the sort column (see FormatTopHelp), `q` or Ctrl-C quits. The terminal is
// restored on every way out: a key, SIGINT/SIGTERM/SIGHUP (their handlers only write to a
// self-pipe; the loop quits and the destructor restores), an error, or an exception. When
// stdout is not a terminal it prints the table every interval instead, plain.
//
// Runs on the calling thread; installs signal handlers for its duration.
#pragma once

#include <cstdint>

#include "ctl/commands.h"

namespace corral::ctl {

struct TopOptions {
  uint32_t interval_ms = 1000;
  uint32_t count = 0;  // refreshes before exiting on its own; 0: until quit
};

int TopCommand(CommandContext& ctx, const TopOptions& options);

}  // namespace corral::ctl
