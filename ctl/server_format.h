// How corralctl shows servers to a person: an aligned table for `ls`, a block of fields for
// `get`, and one-line summaries after start/stop/restart. Pure functions of the proto and the
// current time, so they are unit-tested.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "corral/v1/agent.pb.h"
#include "corral/v1/server.pb.h"

namespace corral::ctl {

// "tcp-echo", "thread", "RUNNING", ...
std::string ProtocolLabel(v1::Protocol protocol);
// "tcp(kv)" for a protocol served by the handler plugin named `handler`; without one, as above.
std::string ProtocolLabel(v1::Protocol protocol, const std::string& handler);
// A handler plugin's file stem ("kv" for "/x/kv.so"): its name where only the spec is at hand.
std::string HandlerStem(const std::string& path);
std::string ModelLabel(v1::Model model);
std::string StateLabel(v1::State state);
// "never", "on-failure", "always".
std::string PolicyLabel(v1::RestartPolicy policy);

// "45s", "3m12s", "2h05m", "3d04h"; "-" for a zero or negative duration.
std::string ShortDuration(absl::Duration d);

// "code 1", "signal 9 (SIGKILL)", "-".
std::string ExitLabel(const v1::Server& server);

// "in 1.2s" until the next restart when one is scheduled, else "-".
std::string NextStartLabel(const v1::Server& server, absl::Time now);

// Columns NAME STATE PROTOCOL MODEL ADDRESS PID UPTIME RESTARTS FAILS NEXT LAST-EXIT REASON,
// aligned, one line per server, each line ending in '\n'. FAILS counts consecutive failures,
// NEXT is the time to the next restart.

std::string FormatServerTable(const std::vector<v1::Server>& servers, absl::Time now);

// One line for a supervision event, as `corralctl events` prints it:
// "2026-11-30T04:30:00.123Z  echo  EXITED  pid 4242 killed by signal 9 (SIGKILL)".
std::string FormatEvent(const v1::Event& event);

// "field: value" lines for one server.
std::string FormatServerDetail(const v1::Server& server, absl::Time now);

}  // namespace corral::ctl
