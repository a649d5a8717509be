// The sockets a supervisor hands over the systemd way (sd_listen_fds(3)): descriptors 3, 4, ...
// with LISTEN_FDS (how many), LISTEN_PID (the pid they are meant for) and LISTEN_FDNAMES
// (colon-separated names). corral-agent binds every server's sockets itself and keeps them
// across restarts (docs/design.md, decisions 8 and 18), so corral-server takes its listener from
// here and binds its own only when run standalone.
//
// Thread-safety: call once, from main, before any thread exists (it changes the environment).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral {

inline constexpr int kFirstListenFd = 3;

struct ListenFd {
  std::string name;
  base::UniqueFd fd;  // made close-on-exec
};

// The handed-over sockets, in order; empty when none were handed to this process (no
// LISTEN_FDS, or a LISTEN_PID naming another process: variables inherited by mistake). Unsets
// the three variables either way, so children of this process do not take them too.
// INVALID_ARGUMENT for a malformed LISTEN_FDS.
absl::StatusOr<std::vector<ListenFd>> TakeListenFds();

// Checks that `fd` is a socket of the kind the protocol needs (a TCP listener, or a bound UDP
// socket), and makes it non-blocking. The error names the descriptor and what it is instead.
absl::Status CheckListenFd(int fd, bool datagrams);

}  // namespace corral
