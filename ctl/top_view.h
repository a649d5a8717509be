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
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "corral/v1/stats.pb.h"
#include "ctl/commands.h"

namespace corral::ctl {

struct TopOptions {
  uint32_t interval_ms = 1000;
  uint32_t count = 0;  // refreshes before exiting on its own; 0: until quit
};

int TopCommand(CommandContext& ctx, const TopOptions& options);

// One refresh: every server's stats, and the call's status (with servers from the agents that
// did answer, when several were asked).
struct TopFetch {
  std::vector<v1::ServerStats> servers;
  absl::Status status;
};
using TopFetcher = std::function<TopFetch()>;

// The same screen over any source (`corralctl top --agents a,b` names each server AGENT/NAME),
// `target` in its title, `first` the refresh already fetched. A failed refresh is shown in the
// title; the view goes on.
int TopWith(const std::string& target, const TopFetcher& fetcher, const TopOptions& options,
            TopFetch first);

}  // namespace corral::ctl
