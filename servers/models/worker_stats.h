// The one place where a model's workers meet the scoreboard (servers/stats): claiming a slot
// per worker, and counting each connection or datagram a worker serves. Every model calls these,
// so counts mean the same under fork, thread and coroutine.
#pragma once

#include <optional>

#include "servers/net/datagram_sender.h"
#include "servers/net/stream.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

// A slot for the calling worker (process, thread or hub), claimed on the thread that will write
// it. nullopt when the server keeps no stats (`board` null) or every slot is taken (logged; the
// worker then runs uncounted rather than not at all).
std::optional<stats::SlotWriter> ClaimWorkerSlot(stats::Scoreboard* board);

// Serves one connection, counting it in `slot` (may be null): accepted, closed, and the
// reading/writing/idle states around it; the stream counts bytes and failures.
void ServeConnection(net::Stream& stream, stats::SlotWriter* slot,
                     const protocols::StreamProtocol& protocol);

// Serves one datagram, counting it as a request with its handling latency and its bytes in;
// the sender counts the bytes out.
void ServeDatagram(const protocols::Datagram& request, net::DatagramSender& sender,
                   stats::SlotWriter* slot, const protocols::DatagramProtocol& protocol);

}  // namespace corral::models
