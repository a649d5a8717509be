// How corralctl shows servers to a person: an aligned table for `ls`, a block of fields for
// `get`, and one-line summaries after start/stop/restart. Pure functions of the proto and the
// current time, so they are unit-tested.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "corral/v1/server.pb.h"

namespace corral::ctl {

// "tcp-echo", "thread", "RUNNING", ...
std::string ProtocolLabel(v1::Protocol protocol);
std::string ModelLabel(v1::Model model);
std::string StateLabel(v1::State state);

// "45s", "3m12s", "2h05m", "3d04h"; "-" for a zero or negative duration.
std::string ShortDuration(absl::Duration d);

// "code 1", "signal 9 (SIGKILL)", "-".
std::string ExitLabel(const v1::Server& server);

// Columns NAME STATE PROTOCOL MODEL ADDRESS PID UPTIME RESTARTS LAST-EXIT REASON, aligned,
// one line per server, each line ending in '\n'.
std::string FormatServerTable(const std::vector<v1::Server>& servers, absl::Time now);

// "field: value" lines for one server.
std::string FormatServerDetail(const v1::Server& server, absl::Time now);

}  // namespace corral::ctl
