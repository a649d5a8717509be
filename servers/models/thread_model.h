// ThreadModel: a thread per connection, as Python's ThreadingMixIn, with a cap on concurrent
// connections and a graceful drain.
#pragma once

#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include "servers/models/model.h"

namespace corral::models {

class ThreadModel final : public Model {
 public:
  explicit ThreadModel(const ModelOptions& options) : options_(options) {}

  absl::Status Serve(net::UniqueFd listener, int stop_fd,
                     const protocols::StreamProtocol& protocol) override;

 private:
  // Accepts every pending connection (up to the cap) and starts a thread for each. Returns
  // false when the listener is broken beyond retry (`error` says why).
  bool AcceptPending(int listener, const protocols::StreamProtocol& protocol,
                     absl::Status& error, bool& out_of_fds);
  void RunConnection(net::UniqueFd fd, const protocols::StreamProtocol& protocol);
  size_t ActiveCount();
  // Waits for in-flight connections up to the drain timeout, then shuts down the rest.
  void Drain();

  const ModelOptions options_;
  net::UniqueFd worker_done_;  // eventfd, written when a connection thread ends

  std::mutex mu_;
  std::condition_variable idle_;            // notified when active_ becomes empty
  std::unordered_set<int> active_;          // sockets of running connections; guarded by mu_
};

}  // namespace corral::models
