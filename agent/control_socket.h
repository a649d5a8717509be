// ControlSocket: the agent's unix socket (HOME/agent.sock). The agent accepts its connections
// itself, instead of letting gRPC listen, so that each connection's peer is identified
// (CallerAccess::Admit) before a single byte of it is read; the connection is then handed to
// the gRPC server, which serves it like any other.
//
// Accepting runs on a thread of its own: identifying a peer may read the user and group
// databases, which must not hold up supervision.
//
// Strangers (callers with no role) are served just long enough to read their refusal: each
// connection is shut down kStrangerGrace after it was accepted, and at most kMaxStrangers are
// open at once (more are closed unanswered), so users without a role cannot run the agent out
// of descriptors however often they connect. Admitted callers are bounded by gRPC's channel
// arguments (streams per connection, idle connections closed; see main.cc).
//
// Thread-safety: Serve and Close from one thread at a time (Close joins the acceptor).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/caller_access.h"
#include "agent/loop_thread.h"
#include "base/unique_fd.h"

namespace grpc {
class Server;
}

namespace corral::agent {

class ControlSocket {
 public:
  static constexpr std::chrono::milliseconds kStrangerGrace{2000};
  static constexpr size_t kMaxStrangers = 32;

  // Binds `path` (removing a stale socket there: the caller holds the agent's lock) with mode
  // 0600 and listens. `access` must outlive the ControlSocket.
  static absl::StatusOr<std::unique_ptr<ControlSocket>> Listen(const std::string& path,
                                                               CallerAccess& access);
  // Stops accepting and removes the socket file.
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Starts accepting; every connection goes to `server`, which must stay alive until Close().
  absl::Status Serve(grpc::Server* server);
  // Stops accepting (connections already handed over are the server's). Idempotent.
  void Close();

 private:
  ControlSocket(std::string path, base::UniqueFd listener, CallerAccess& access);
  // Accepts every pending connection. Acceptor thread.
  void AcceptPending(grpc::Server* server);
  // Keeps a duplicate of a stranger's connection `fd` and shuts the connection down after the
  // grace; false (nothing kept) when kMaxStrangers are already open. Acceptor thread.
  bool HoldStranger(int fd);
  // Out of descriptors with no spare left: stops watching the listener for a moment, so that a
  // connection that cannot be accepted does not spin the acceptor. Acceptor thread.
  void PauseAccepting(grpc::Server* server);

  const std::string path_;
  base::UniqueFd listener_;
  CallerAccess& access_;
  // Kept open so that, out of descriptors, a connection can still be accepted and closed
  // instead of staying ready for ever and spinning the acceptor.
  base::UniqueFd spare_;
  // Duplicates of the strangers' connections still in their grace: acceptor thread, then Close.
  std::vector<int> strangers_;
  std::unique_ptr<LoopThread> acceptor_;
};

}  // namespace corral::agent
