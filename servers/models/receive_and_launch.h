// ReceiveAndLaunch: the fork and thread models' datagram loop without a pool: the server's
// thread receives each datagram and launches a worker (a forked child or a cached thread) to
// answer it, as Python's ForkingUDPServer and ThreadingUDPServer. At max_workers it stops
// receiving (datagrams wait in the socket buffer) until a worker ends.
#pragma once

#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "servers/models/workers.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

// Serves datagrams received on `socket` (not owned; workers reply on it) until `stop_fd`
// becomes readable, then drains `workers` within `drain_timeout`. An error when receiving fails
// in a way retrying cannot fix; WorkersStillRunning when a worker thread survives the drain.
// `board` may be null. Main thread.
absl::Status ReceiveAndLaunch(int socket, int stop_fd, Workers& workers, uint32_t max_workers,
                              std::chrono::milliseconds drain_timeout, stats::Scoreboard* board,
                              const protocols::DatagramProtocol& protocol);

}  // namespace corral::models
