// AgentClient's TLS and token side (see agent_client.h), and how its failures read.
#include <grpcpp/security/credentials.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ctl/agent_client.h"
#include "ctl/agent_socket_check.h"

namespace corral::ctl {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& what, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("read ", what, " ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The secret: the first line that is neither blank nor a comment.
absl::StatusOr<std::string> ReadToken(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("token file ", path, ": group or others may read it; run chmod 600 ", path));
  }
  absl::StatusOr<std::string> text = ReadFile("the token file", path);
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line.front() != '#') return std::string(line);
  }
  return absl::InvalidArgumentError(absl::StrCat("token file ", path, ": no token in it"));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentClient::MakeCredentials() {
  const AgentCredentials& c = credentials_;
  const bool tls = !c.tls_ca.empty() || !c.tls_cert.empty();
  if (!c.token_file.empty()) {
    if (!tls) {
      return absl::InvalidArgumentError(
          "--token-file needs --tls-ca: corralctl never sends a token without TLS");
    }
    absl::StatusOr<std::string> token = ReadToken(c.token_file);
    if (!token.ok()) return token.status();
    authorization_ = "Bearer " + *token;
  }
  if (!tls) return grpc::InsecureChannelCredentials();
  if (!UnixSocketPath(target_).empty()) {
    return absl::InvalidArgumentError("--tls-ca is for a HOST:PORT agent, not a unix socket");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  grpc::SslCredentialsOptions options;
  for (const auto& [what, path, into] :
       {std::tuple{"the CA (--tls-ca)", &c.tls_ca, &options.pem_root_certs},
        std::tuple{"the client certificate (--tls-cert)", &c.tls_cert, &options.pem_cert_chain},
        std::tuple{"the client key (--tls-key)", &c.tls_key, &options.pem_private_key}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> text = ReadFile(what, *path);
    if (!text.ok()) return text.status();
    *into = *std::move(text);
  }
  return grpc::SslCredentials(options);
}

absl::Status AgentClient::FromGrpc(const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  const std::string& message = status.error_message();
  const bool tls = !credentials_.tls_ca.empty() || !credentials_.tls_cert.empty();
  // A refused handshake is a refusal of credentials, not an absent agent. With TLS 1.3 the
  // agent checks the client's certificate after the client thinks the handshake is done, so
  // a refused certificate reaches us only as the connection closed before any answer.
  if (tls && code == absl::StatusCode::kUnavailable) {
    if (absl::StrContains(message, "andshake") || absl::StrContains(message, "certificate")) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the TLS handshake failed (", message,
          "); check that --tls-ca signed the agent's certificate, and for an agent with "
          "--tls-client-ca that the client certificate (--tls-cert) is signed by it and valid"));
    }
    if (absl::StrContains(message, "Socket closed") ||
        absl::StrContains(message, "Connection reset")) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the agent closed the TLS connection before answering (", message,
          "): it refused the client certificate (expired, not signed by its --tls-client-ca, or "
          "none sent: see --tls-cert), or it is shutting down"));
    }
  }
  if (code == absl::StatusCode::kUnauthenticated) {
    return absl::Status(code, absl::StrCat("not authenticated: ", message));
  }
  return absl::Status(code, message);
}

}  // namespace corral::ctl
