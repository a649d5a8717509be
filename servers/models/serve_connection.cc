#include "servers/models/serve_connection.h"

#include <chrono>

namespace corral::models {

void ServeConnection(net::Stream& stream, stats::SlotWriter* slot,
                     const protocols::StreamProtocol& protocol) {
  if (slot == nullptr) return protocol.Serve(stream);
  // Counted closed even when a coroutine drain kills the greenlet mid-connection.
  struct Closer {
    stats::SlotWriter* slot;
    ~Closer() {
      slot->OnClose();
      slot->SetState(stats::WorkerState::kIdle);
    }
  };
  slot->OnAccept();
  Closer closer{slot};
  stream.set_accounting(slot);
  protocol.Serve(stream);
}

void ServeDatagram(const protocols::Datagram& request, net::DatagramSender& sender,
                   stats::SlotWriter* slot, const protocols::DatagramProtocol& protocol) {
  if (slot == nullptr) return protocol.Serve(request, sender);
  auto start = std::chrono::steady_clock::now();
  slot->AddBytesIn(request.size);
  slot->SetState(stats::WorkerState::kWriting);
  sender.set_accounting(slot);
  protocol.Serve(request, sender);
  slot->OnRequest(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count()));
  slot->SetState(stats::WorkerState::kIdle);
}

}  // namespace corral::models
