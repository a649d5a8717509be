// Whether the server at the other end of a TCP connection has accepted it, asked of the kernel
// (NETLINK_SOCK_DIAG, what `ss` uses). The tcp health probe needs it because the agent holds
// every server's listening socket: the kernel completes the handshake into the backlog whatever
// the server does, so a successful connect says nothing about a hung server. A connection still
// in the accept queue has no socket file yet (inode 0); accept(2) gives it one. Reading another
// process's sockets this way needs no privilege (docs/design.md, the tcp health probe).
//
// Thread-safety: a plain function, any thread; one netlink request and its answer, which the
// kernel writes before the send returns, so it never blocks.
#pragma once

#include "absl/status/statusor.h"

namespace corral::agent {

// `fd` is a connected TCP socket of ours, still open both ways. true once the peer's socket (its
// local address is our peer address) has been accepted, also when it has been closed since or is
// gone. Errors name the syscall.
absl::StatusOr<bool> PeerAccepted(int fd);

}  // namespace corral::agent
