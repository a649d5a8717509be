// PoolModel: N pre-started workers (threads or forked processes) that each accept connections
// or receive datagrams themselves and serve them one at a time, as Apache's worker and prefork
// MPMs. The pool keeps N alive: a worker that dies is replaced. Per-datagram fork cannot be
// fast; this is how the fork model serves UDP at speed.
#pragma once

#include "servers/models/cuttable_connections.h"
#include "servers/models/model.h"
#include "servers/models/workers.h"

namespace corral::models {

class PoolModel final : public Model {
 public:
  // `kind` is kThread or kFork; options.pool_size > 0.
  PoolModel(ModelKind kind, const ModelOptions& options) : kind_(kind), options_(options) {}

  absl::Status ServeStreams(base::UniqueFd listener, int stop_fd,
                            const protocols::StreamProtocol& protocol) override;
  absl::Status ServeDatagrams(base::UniqueFd socket, int stop_fd,
                              const protocols::DatagramProtocol& protocol) override;

 private:
  // Starts the pool with `loop` as every worker's body and keeps it at pool_size until stop.
  // `connections`: where the workers register what they serve, for a thread pool's drain to
  // cut (null for datagrams). `on_stop`, if set, runs once stop is asked, before the drain.
  absl::Status RunPool(int stop_fd, std::shared_ptr<CuttableConnections> connections,
                       const std::function<void()>& loop,
                       const std::function<void()>& on_stop = nullptr);

  const ModelKind kind_;
  const ModelOptions options_;
};

}  // namespace corral::models
