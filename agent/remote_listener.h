// RemoteListener: the agent's optional TCP port (--listen-tcp), always with TLS, on the same
// gRPC server as the unix socket. Callers on it are identified per call by CallerAccess (bearer
// token, or a client certificate verified against --tls-client-ca); see docs/remote.md.
//
// The address actually bound (port 0 picks one) is logged and written to HOME/agent-tcp.address
// ("HOST:PORT\n"), for scripts and tests, as the metrics endpoint logs its own.
//
// Thread-safety: one thread (the agent's main).
#pragma once

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/caller_access.h"

namespace corral::agent {

struct RemoteFlags {
  std::string listen_tcp;     // HOST:PORT; empty: no TCP listener
  std::string tls_cert;       // PEM certificate chain of the agent
  std::string tls_key;        // its PEM private key
  std::string tls_client_ca;  // PEM CA: clients must present a certificate it signed
  std::string token_file;     // NAME ROLE SECRET lines (agent/token_file.h)
};

// The flags make sense together: a TCP listener needs a certificate and key, and tokens or a
// client CA (an open port without credentials is refused). The certificate, key and tokens
// also serve the web dashboard, so with `dashboard` they may come without --listen-tcp.
// InvalidArgument naming the flag.
absl::Status CheckRemoteFlags(const RemoteFlags& flags, bool dashboard = false);

class RemoteListener {
 public:
  // Reads the certificate, key, client CA and tokens, and lets `access` admit TCP callers.
  // nullptr (and OK) when --listen-tcp is not given.
  static absl::StatusOr<std::unique_ptr<RemoteListener>> Prepare(const RemoteFlags& flags,
                                                                 CallerAccess& access);

  // Adds the TLS port to `builder`, before BuildAndStart.
  void AddTo(grpc::ServerBuilder& builder);
  // After BuildAndStart: logs the bound address and writes HOME/agent-tcp.address. An error
  // when gRPC bound nothing.
  absl::Status Announce(const std::string& home);

  static std::string AddressPath(const std::string& home) { return home + "/agent-tcp.address"; }
  const std::string& bound_address() const { return bound_; }

 private:
  RemoteListener(std::string listen, std::shared_ptr<grpc::ServerCredentials> credentials,
                 std::string what)
      : listen_(std::move(listen)), credentials_(std::move(credentials)), what_(std::move(what)) {}

  const std::string listen_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  const std::string what_;  // "TLS, 2 tokens, client certificates required"
  int port_ = 0;            // set by gRPC when the server starts
  std::string bound_;
};

}  // namespace corral::agent
