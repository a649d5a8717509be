// PerConnectionModel: a worker (thread or forked process) of its own for every connection or
// every datagram, as Python's ThreadingMixIn and ForkingMixIn, with a cap that pauses
// accepting. Forked children and datagram threads are launched by the accepting loop here;
// connection threads accept for themselves (accepting_threads.h).
#pragma once

#include "servers/models/model.h"
#include "servers/models/workers.h"

namespace corral::models {

class PerConnectionModel final : public Model {
 public:
  // `kind` is kThread or kFork.
  PerConnectionModel(ModelKind kind, const ModelOptions& options)
      : kind_(kind), options_(options) {}

  absl::Status ServeStreams(base::UniqueFd listener, int stop_fd,
                            const protocols::StreamProtocol& protocol) override;
  absl::Status ServeDatagrams(base::UniqueFd socket, int stop_fd,
                              const protocols::DatagramProtocol& protocol) override;

 private:
  // Workers of this model's kind; forked children first close `close_in_child` (or -1).
  std::unique_ptr<Workers> MakeWorkers(int close_in_child) const;

  const ModelKind kind_;
  const ModelOptions options_;
};

}  // namespace corral::models
