// ServeConnection and ServeDatagram: how every model's worker serves one connection or one
// datagram, counting it in the worker's scoreboard slot (worker_slot.h). Every model calls these,
// so counts mean the same under fork, thread and coroutine.
#pragma once

#include "servers/net/datagram_sender.h"
#include "servers/net/stream.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

// Serves one connection, counting it in `slot` (may be null): accepted, closed, and the
// reading/writing/idle states around it; the stream counts bytes and failures.
void ServeConnection(net::Stream& stream, stats::SlotWriter* slot,
                     const protocols::StreamProtocol& protocol);

// Serves one datagram, counting it as a request with its handling latency and its bytes in;
// the sender counts the bytes out.
void ServeDatagram(const protocols::Datagram& request, net::DatagramSender& sender,
                   stats::SlotWriter* slot, const protocols::DatagramProtocol& protocol);

}  // namespace corral::models
