// CoroutineModel: a greenlet per connection or datagram on N hub threads (gevent's model), each
// hub with its own SO_REUSEPORT socket so the kernel spreads clients across them (or, on a
// listener the agent holds, every hub on the one socket). --max-workers is the server's cap,
// split across the hubs: a hub whose share is taken leaves its clients in its backlog.
#pragma once

#include <vector>

#include "servers/models/model.h"

namespace corral::models {

class CoroutineModel final : public Model {
 public:
  explicit CoroutineModel(const ModelOptions& options) : options_(options) {}

  absl::Status ServeStreams(base::UniqueFd listener, int stop_fd,
                            const protocols::StreamProtocol& protocol) override;
  absl::Status ServeDatagrams(base::UniqueFd socket, int stop_fd,
                              const protocols::DatagramProtocol& protocol) override;

  // The hub count `options` asks for (0: one per online CPU), but never more than max_workers:
  // each hub serves at least one connection, and the cap is the whole server's.
  static uint32_t HubCount(const ModelOptions& options);
  // How many connections (or datagrams) hub `hub` of `hubs` serves at once: max_workers split
  // so that the hubs' caps add up to it exactly (the first max_workers % hubs get one more).
  static uint32_t HubCap(uint32_t max_workers, uint32_t hubs, uint32_t hub);

 private:
  // `first` (bound with SO_REUSEPORT) plus one more socket per extra hub on the same address.
  absl::StatusOr<std::vector<base::UniqueFd>> SocketsPerHub(base::UniqueFd first,
                                                            bool datagrams) const;

  const ModelOptions options_;
};

}  // namespace corral::models
