// ForkModel (--model fork): every connection or datagram is served in a forked child process,
// as Python's ForkingMixIn, with a cap that pauses accepting; or, with --pool-size N, N
// pre-forked children each accept and serve one connection at a time, as Apache's prefork MPM
// (per-datagram fork cannot be fast; a pool is how fork serves UDP at speed).
//
// Children share no memory with the server: each has its own copy of the protocol, so a drain
// reaches them by SIGTERM, and each child tells its copy: a pool worker from a watcher thread
// (child_drain_watcher.h), a child serving one connection at its next receive
// (connection_drain_signal.h).
// Requires SIGCHLD and the stop signals blocked in every thread and a server with no other
// threads (process_workers.h).
#pragma once

#include <memory>

#include "servers/models/model.h"
#include "servers/models/process_workers.h"

namespace corral::models {

class ForkModel final : public Model {
 public:
  explicit ForkModel(const ModelOptions& options) : options_(options) {}

  absl::Status ServeStreams(base::UniqueFd listener, int stop_fd,
                            const protocols::StreamProtocol& protocol) override;
  absl::Status ServeDatagrams(base::UniqueFd socket, int stop_fd,
                              const protocols::DatagramProtocol& protocol) override;

 private:
  // Children that first close `close_in_child` (or -1); the server reclaims a dead child's
  // scoreboard slot.
  std::unique_ptr<ProcessWorkers> MakeWorkers(int close_in_child) const;

  // Without a pool: the server accepts each connection and forks a child to serve it.
  absl::Status AcceptAndLaunch(int listener, int stop_fd, Workers& workers,
                               const protocols::StreamProtocol& protocol);

  const ModelOptions options_;
};

}  // namespace corral::models
