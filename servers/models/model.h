// Model: how an accepted connection gets a worker (a process, a thread, or a greenlet). Every
// model runs any StreamProtocol unchanged; see design decision 2. MakeModel() is the one
// factory.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "servers/net/unique_fd.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/server_kinds.h"

namespace corral::models {

struct ModelOptions {
  // At most this many connections are served at once; at the cap the model stops accepting
  // (clients wait in the listen backlog) rather than refusing or dropping anyone.
  uint32_t max_workers = 1024;
  // After shutdown is asked, in-flight connections get this long to finish before they are cut.
  std::chrono::milliseconds drain_timeout{5000};
};

class Model {
 public:
  virtual ~Model() = default;

  // Serves connections accepted on `listener` with `protocol` until `stop_fd` becomes readable
  // (the server's signalfd), then closes the listener, lets in-flight connections finish within
  // the drain timeout, cuts the rest, and returns. Returns an error only when accepting fails
  // in a way that retrying cannot fix. Call once, from the server's main thread.
  virtual absl::Status Serve(net::UniqueFd listener, int stop_fd,
                             const protocols::StreamProtocol& protocol) = 0;
};

// UNIMPLEMENTED for a model that is named by the API but not built yet.
absl::StatusOr<std::unique_ptr<Model>> MakeModel(ModelKind kind, const ModelOptions& options);

}  // namespace corral::models
