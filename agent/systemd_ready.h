// Readiness for systemd (deploy/systemd/corral-agent.service, Type=notify): once the agent
// serves, it sends READY=1 to the datagram socket systemd named in NOTIFY_SOCKET, as
// sd_notify(3) does, without linking libsystemd (the agent runs where there is no systemd too).
//
// Thread-safety: TakeNotifySocket from main before any thread starts (it unsets the variable,
// so that the servers the agent spawns never talk to systemd in its name); SendReady anywhere.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace corral::agent {

// NOTIFY_SOCKET's value ("" when unset), removed from the environment.
std::string TakeNotifySocket();

// Sends "READY=1\nMAINPID=PID\nSTATUS=`status`" to `socket_path` (a path, or "@name" for the
// abstract namespace). OK and nothing sent when `socket_path` is empty.
absl::Status SendReady(const std::string& socket_path, const std::string& status);

}  // namespace corral::agent
