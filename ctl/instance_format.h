// How corralctl shows a server's instances (spec.instances, issue 21 item 5) and a reload under
// way (issue 22): `ls` gives the state with ready/total, `get` a line per instance.
// Pure functions of the proto; any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "corral/v1/server.pb.h"

namespace corral::ctl {

// The server's state for `ls`: "RUNNING", or with several instances "RUNNING 2/3" (ready of
// total), and " reloading" while a reload runs.
std::string ServerStateLabel(const v1::Server& server);

// The `get` lines for the instances (one each: index, state, pid, uptime, restarts, last exit,
// reason) and the reload under way, appended to `fields`. Nothing for a single instance that
// is not reloading.
void AddInstanceFields(const v1::Server& server, absl::Time now,
                       std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace corral::ctl
