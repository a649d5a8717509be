// The host's stream and datagram calls of handler.h (read, read_exactly, read_line, write, peer,
// reply, others_waiting) over net::Stream and net::DatagramSender. Each may be called from any
// worker at once, each on its own corral_conn (handler_conn.h); a conn is not shared between
// workers.
#pragma once

#include <cstddef>

#include "corral/handler.h"

namespace corral::handler {

// Sets exactly those entries of `host`.
void FillStreams(corral_host* host);

// host->peer: the peer's address as text ("127.0.0.1:5000"), NUL-terminated in buf; its length.
size_t PeerOf(corral_conn* conn, char* buf, size_t cap);

}  // namespace corral::handler
