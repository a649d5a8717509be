#include "agent/remote_listener.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/state_file.h"
#include "agent/token_file.h"
#include "base/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::SyscallError(absl::StrCat(flag, ": open ", path), errno);
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": not a PEM file"));
  }
  return text.str();
}

}  // namespace

absl::Status CheckRemoteFlags(const RemoteFlags& flags, bool dashboard) {
  if (flags.listen_tcp.empty()) {
    for (const auto& [flag, value] :
         {std::pair{"--tls-cert", &flags.tls_cert}, std::pair{"--tls-key", &flags.tls_key},
          std::pair{"--tls-client-ca", &flags.tls_client_ca},
          std::pair{"--token-file", &flags.token_file}}) {
      const bool dashboard_uses_it = dashboard && value != &flags.tls_client_ca;
      if (!value->empty() && !dashboard_uses_it) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " is for the TCP listener: give --listen-tcp HOST:PORT too"));
      }
    }
    return absl::OkStatus();
  }
  if (flags.tls_cert.empty() || flags.tls_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen-tcp ", flags.listen_tcp, " needs ",
                     flags.tls_cert.empty() ? "--tls-cert FILE" : "--tls-key FILE",
                     ": the TCP listener serves TLS only (the agent has no plaintext TCP port)"));
  }
  if (flags.token_file.empty() && flags.tls_client_ca.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen-tcp ", flags.listen_tcp,
        " needs --token-file FILE or --tls-client-ca FILE: a TCP port that admits anyone who "
        "can reach it is refused"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RemoteListener>> RemoteListener::Prepare(const RemoteFlags& flags,
                                                                        CallerAccess& access) {
  if (flags.listen_tcp.empty()) return nullptr;
  if (absl::Status s = CheckRemoteFlags(flags); !s.ok()) return s;
  absl::StatusOr<std::string> cert = ReadPem("--tls-cert", flags.tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("--tls-key", flags.tls_key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  std::string what = "TLS";
  if (!flags.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("--tls-client-ca", flags.tls_client_ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    // A client without a certificate, or with one this CA did not sign (or expired), fails the
    // handshake: mutual TLS is all or nothing on the port.
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    what += ", client certificates required";
  }
  std::shared_ptr<const TokenTable> tokens;
  if (!flags.token_file.empty()) {
    absl::StatusOr<TokenTable> table = TokenTable::Load(flags.token_file);
    if (!table.ok()) return table.status();
    absl::StrAppend(&what, ", ", table->size(), table->size() == 1 ? " token" : " tokens");
    tokens = std::make_shared<const TokenTable>(*std::move(table));
  }
  access.EnableRemote(std::move(tokens), !flags.tls_client_ca.empty());
  return std::unique_ptr<RemoteListener>(
      new RemoteListener(flags.listen_tcp, grpc::SslServerCredentials(options), std::move(what)));
}

void RemoteListener::AddTo(grpc::ServerBuilder& builder) {
  builder.AddListeningPort(listen_, credentials_, &port_);
}

absl::Status RemoteListener::Announce(const std::string& home) {
  if (port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen on tcp ", listen_,
                                               ": gRPC could not bind it (in use, or not an "
                                               "address of this host?)"));
  }
  const size_t colon = listen_.rfind(':');
  bound_ = absl::StrCat(listen_.substr(0, colon), ":", port_);
  spdlog::info("listening on tcp {} ({})", bound_, what_);
  return WriteFileAtomically(AddressPath(home), bound_ + "\n");
}

}  // namespace corral::agent
