// CoroutineModel: a greenlet per connection or datagram on N hub threads (gevent's model), each
// hub with its own SO_REUSEPORT socket so the kernel spreads clients across them.
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

  // The hub count `options` asks for (0: one per online CPU).
  static uint32_t HubCount(const ModelOptions& options);

 private:
  // `first` (bound with SO_REUSEPORT) plus one more socket per extra hub on the same address.
  absl::StatusOr<std::vector<base::UniqueFd>> SocketsPerHub(base::UniqueFd first,
                                                            bool datagrams) const;

  const ModelOptions options_;
};

}  // namespace corral::models
