// Model: how an accepted connection or a received datagram gets a worker (a process, a thread,
// or a greenlet). Every model runs any StreamProtocol or DatagramProtocol unchanged; see design
// decision 2. MakeModel() is the one factory.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "servers/models/per_client_limit.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/server_kinds.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

struct ModelOptions {
  // At most this many connections (or datagrams) are served at once; at the cap the model stops
  // accepting (clients wait in the listen backlog) rather than refusing or dropping anyone.
  uint32_t max_workers = 1024;
  // After shutdown is asked, in-flight work gets this long to finish before it is cut.
  std::chrono::milliseconds drain_timeout{5000};
  // fork and thread: 0 = a worker per connection or datagram; N = N pre-started workers.
  uint32_t pool_size = 0;
  // coroutine: hub threads; 0 = one per online CPU.
  uint32_t hubs = 0;
  // Where workers count what they serve; null keeps no stats. Not owned; outlives the model.
  stats::Scoreboard* scoreboard = nullptr;
  // At most its cap of connections per client address; null: no cap. Not owned; made before
  // any worker (forked pool workers share its counts); outlives the model.
  PerClientLimit* per_client_limit = nullptr;
  // coroutine: a greenlet holding its hub this long without yielding is reported (log line,
  // scoreboard counter) while it happens; 0: not watched. `handler_name` names it in the log.
  std::chrono::milliseconds stall_bound{0};
  std::string handler_name;
  // The listener was handed over by the agent (LISTEN_FDS) and outlives this process: clients
  // wait in its backlog while the server restarts. So the model must never shut it down (that
  // would reset them and stop it listening for the next process) nor add sockets of its own to
  // its port; it only closes its descriptor.
  bool shared_listener = false;
  // udp: the receive buffer of each socket the model binds itself (coroutine hubs without a
  // shared listener), as the first socket's; 0: the kernel's default. See net/receive_buffer.h.
  uint32_t receive_buffer_bytes = 0;
};

// How many scoreboard slots a model with `options` can have live at once: one per worker
// (connection thread or child, pool worker, or hub), plus one spare.
uint32_t SlotsNeeded(ModelKind kind, const ModelOptions& options);

class Model {
 public:
  virtual ~Model() = default;

  // Serves connections accepted on `listener` until `stop_fd` becomes readable (the server's
  // signalfd), then closes the listener, lets in-flight connections finish within the drain
  // timeout, cuts the rest, and returns. Returns an error when accepting fails in a way
  // retrying cannot fix, and ABORTED (WorkersStillRunning) when a worker thread is still
  // running after the cut (its handler blocked on something other than its connection): that
  // thread may still use `protocol` and the scoreboard, so the caller must end the process
  // without destroying them. Call once, from the server's main thread.
  virtual absl::Status ServeStreams(base::UniqueFd listener, int stop_fd,
                                    const protocols::StreamProtocol& protocol) = 0;

  // The same for datagrams received on the bound UDP `socket`.
  virtual absl::Status ServeDatagrams(base::UniqueFd socket, int stop_fd,
                                      const protocols::DatagramProtocol& protocol) = 0;
};

// The ABORTED status of a drain that left `count` worker threads running after its cut.
absl::Status WorkersStillRunning(size_t count);

// INVALID_ARGUMENT for options the model does not take (pool_size for coroutine, hubs for fork
// and thread).
absl::StatusOr<std::unique_ptr<Model>> MakeModel(ModelKind kind, const ModelOptions& options);

}  // namespace corral::models
