// The sockets the agent binds for a server and holds for its whole life (docs/design.md,
// decisions 8 and 18): bound once, before the first spawn (port 0 resolved then, and stable after),
// handed to every process of the server from descriptor 3 (LISTEN_FDS), and closed only when
// the server is stopped, removed or changes address. While a process restarts, clients wait in
// the backlog of the socket the agent still holds instead of being refused.
//
// Every descriptor is close-on-exec: only SpawnChild's hand-over places a copy in a child.
// Thread-safety: plain values and functions; the supervisor uses them in the loop thread.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

struct HeldSocket {
  v1::ListenSocket socket;  // its address with the real port
  base::UniqueFd fd;
};

// The sockets `spec` asks for, in hand-over order: `listen` (named "listen"; UDP for a datagram
// protocol) if set, then `sockets`.
std::vector<v1::ListenSocket> RequestedSockets(const v1::ServerSpec& spec);

// Binds every socket of `wanted` (TCP: SO_REUSEADDR, listen with a backlog of 1024; no
// SO_REUSEPORT, so nothing else can join the port). All or nothing: on error the ones bound are
// closed and the error names the address, as `bind 127.0.0.1:8080: Address already in use`.
absl::StatusOr<std::vector<HeldSocket>> BindSockets(const std::vector<v1::ListenSocket>& wanted);

// LISTEN_FDNAMES for `sockets`: their names, colon-separated.
std::string ListenFdNames(const std::vector<HeldSocket>& sockets);

}  // namespace corral::agent
