// ControlSocket: the agent's unix socket (HOME/agent.sock). The agent accepts its connections
// itself, instead of letting gRPC listen, so that each connection's peer is identified
// (CallerAccess::Admit) before a single byte of it is read; the connection is then handed to
// the gRPC server, which serves it like any other.
//
// Accepting runs on a thread of its own: identifying a peer may read the user and group
// databases, which must not hold up supervision.
//
// Thread-safety: construct, Serve and Close from one thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/caller_access.h"
#include "agent/loop_thread.h"
#include "servers/net/unique_fd.h"

namespace grpc {
class Server;
}

namespace corral::agent {

class ControlSocket {
 public:
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
  ControlSocket(std::string path, net::UniqueFd listener, CallerAccess& access);
  // Accepts every pending connection. Acceptor thread.
  void AcceptPending(grpc::Server* server);

  const std::string path_;
  net::UniqueFd listener_;
  CallerAccess& access_;
  // Kept open so that, out of descriptors, a connection can still be accepted and closed
  // instead of staying ready for ever and spinning the acceptor.
  net::UniqueFd spare_;
  std::unique_ptr<LoopThread> acceptor_;
};

}  // namespace corral::agent
