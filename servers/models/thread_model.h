// ThreadModel (--model thread): every connection or datagram is served on a thread of its own,
// as Python's ThreadingMixIn, up to max_workers at once (then clients wait in the listen
// backlog); or, with --pool-size N, N pre-started threads each accept and serve one connection
// at a time, as Apache's worker MPM.
//
// Connections without a pool: no thread hands connections out (design decision 15). Each
// waiting thread blocks in accept(2) itself, and a thread whose connection ended goes back to
// accept the next one (the leader/follower pattern): a connection costs its thread one wake-up,
// where an accepting thread that hands it over costs two threads a wake-up and a sleep each; on
// a VM, where a context switch is the dearest thing a short connection does, that is most of
// its cost. Threads start on demand: the thread that takes the last waiting place starts
// another before it serves, up to max_workers; a waiting thread that sees no connection for
// kIdleThreadExit exits unless it is the last one waiting. Datagrams are handed to a thread each
// from a cache of parked threads (thread_workers.h).
//
// All threads share the one protocol object: a drain calls its BeginDrain from the main thread.
#pragma once

#include "servers/models/model.h"

namespace corral::models {

class ThreadModel final : public Model {
 public:
  explicit ThreadModel(const ModelOptions& options) : options_(options) {}

  absl::Status ServeStreams(base::UniqueFd listener, int stop_fd,
                            const protocols::StreamProtocol& protocol) override;
  absl::Status ServeDatagrams(base::UniqueFd socket, int stop_fd,
                              const protocols::DatagramProtocol& protocol) override;

 private:
  // Without a pool: the accepting threads described above. `listener` is made blocking.
  absl::Status ServeOnAcceptingThreads(base::UniqueFd listener, int stop_fd,
                                       const protocols::StreamProtocol& protocol);

  const ModelOptions options_;
};

}  // namespace corral::models
