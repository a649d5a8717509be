// The pool option of the fork and thread models (--pool-size N), as Apache's worker and prefork
// MPMs: N workers started up front, each taking connections or datagrams itself and serving
// them one at a time. RunWorkerPool keeps N alive (a worker that dies is replaced); the two
// loops are what each worker runs. The loops are written once for threads and processes: a
// worker is told to stop by the server's stop descriptor (a shared signalfd for threads; each
// child's own pending SIGTERM, through its inherited copy, for processes).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "servers/models/cuttable_connections.h"
#include "servers/models/per_client_limit.h"
#include "servers/models/pool_gauge.h"
#include "servers/models/workers.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

// How a stream pool grows past its size while every worker serves (pool_gauge.h): up to
// max_workers, at the gauge's request. No gauge: the pool stays at its size (datagram pools,
// whose workers never hold anything between datagrams).
struct PoolGrowth {
  PoolGauge* gauge = nullptr;
  uint32_t max_workers = 0;
};

// Launches `loop` on `workers` until pool_size run, and again whenever one ends, and more
// whenever `growth` asks (one per client queued on the listener, and one to wait), until
// `stop_fd` becomes readable; then runs `on_stop` (if set) and
// drains `workers` within `drain_timeout`. WorkersStillRunning when a worker thread survives the
// drain. Main thread.
absl::Status RunWorkerPool(Workers& workers, uint32_t pool_size, int stop_fd,
                           std::chrono::milliseconds drain_timeout,
                           const std::function<void()>& loop, const PoolGrowth& growth = {},
                           const std::function<void()>& on_stop = nullptr);

// One pool worker's life for streams: wait (woken alone, see SharedWorkWaiter), accept (another
// worker may win the race: EAGAIN), serve, until `stop_fd` fires. Each connection is registered
// in `connections` while served, for a thread pool's drain to cut. `board` may be null. Counted
// in `gauge` (may be null) while waiting, from its launch (RunWorkerPool counts it in first);
// a worker that waits kIdleThreadExit while the gauge has more than enough waiting leaves.
void AcceptAndServe(int listener, int stop_fd, const protocols::StreamProtocol& protocol,
                    stats::Scoreboard* board, PerClientLimit* limit,
                    CuttableConnections& connections, PoolGauge* gauge);

// What a stream pool's on_stop does first: no new client waits in the listener's backlog for
// a drain that will not serve it (they used to be reset only when the drain ended, so a
// keep-alive client reconnecting after its Connection: close saw a read error, not a refusal).
// Pool workers take the accept failure this causes (EINVAL) as a stop. A listener the agent
// handed over (`shared`) is left listening: the next process serves its backlog, and the
// workers stop on the stop descriptor alone.
void ShutListener(int listener, bool shared);

// The same for datagrams: receive one, answer it, and again, until `stop_fd` fires.
void ReceiveAndServe(int socket, int stop_fd, const protocols::DatagramProtocol& protocol,
                     stats::Scoreboard* board);

}  // namespace corral::models
