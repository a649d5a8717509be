// HubServer: what one hub thread of the coroutine model runs. An acceptor (or receiver)
// greenlet takes connections (or datagrams) from this hub's own SO_REUSEPORT socket and spawns a
// greenlet for each; a semaphore caps how many run at once, pausing the acceptor at the cap.
// On RequestDrain the acceptor is killed and the socket closed, in-flight greenlets get until
// the drain deadline, the rest are killed at their next blocking point, and the hub stops.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <latch>
#include <memory>

#include "base/unique_fd.h"
#include "servers/coro/hub.h"
#include "servers/models/per_client_limit.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

class HubServer {
 public:
  // `board` (may be null) gets one slot for this hub, shared by its greenlets. `limit` (may be
  // null), shared by every hub, caps connections per client.
  HubServer(base::UniqueFd socket, uint32_t max_active, std::chrono::milliseconds drain_timeout,
            stats::Scoreboard* board, PerClientLimit* limit = nullptr)
      : socket_(std::move(socket)),
        max_active_(max_active),
        drain_timeout_(drain_timeout),
        board_(board),
        limit_(limit) {}

  // Runs on the calling thread (which becomes this hub's thread) until drained. `started` is
  // counted down once the hub exists, so RequestDrain may be called from then on.
  void ServeStreams(const protocols::StreamProtocol& protocol, std::latch& started);
  void ServeDatagrams(const protocols::DatagramProtocol& protocol, std::latch& started);

  // Any thread, after `started`.
  void RequestDrain();

  // The longest a hub takes to stop after RequestDrain while no greenlet holds its thread in a
  // call that does not yield to the hub: the drain timeout and a kill grace at each end.
  static std::chrono::milliseconds StopBound(std::chrono::milliseconds drain_timeout);

 private:
  struct State;  // owned by the hub thread while it serves (kept if greenlets outlive it)
  void Run(const std::function<void(State&)>& take_work, std::latch& started);
  // Closes socket_ (if still open) with coro::Close: the hub has it registered. Hub thread only.
  void CloseSocket();

  base::UniqueFd socket_;
  bool close_socket_early_ = false;  // set before the hub starts
  const uint32_t max_active_;
  const std::chrono::milliseconds drain_timeout_;
  stats::Scoreboard* const board_;
  PerClientLimit* const limit_;
  std::atomic<coro::Hub*> hub_{nullptr};
  State* state_ = nullptr;  // hub thread only
};

}  // namespace corral::models
