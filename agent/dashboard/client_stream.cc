#include "agent/dashboard/client_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::agent::dashboard {
namespace {

std::string OpenSslReason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                             const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("create a TLS context: " + OpenSslReason());
  std::shared_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("load TLS certificate ", cert_file, ": ", OpenSslReason()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("load TLS key ", key_file, ": ", OpenSslReason()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("load TLS key ", key_file, ": it does not match ", cert_file));
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::unique_ptr<ClientStream>> ClientStream::Accept(
    base::UniqueFd fd, const TlsContext* tls, std::chrono::milliseconds io_timeout) {
  timeval tv{};
  tv.tv_sec = io_timeout.count() / 1000;
  tv.tv_usec = (io_timeout.count() % 1000) * 1000;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    return base::SyscallError("set the dashboard connection's timeouts", errno);
  }
  if (tls == nullptr)
    return std::unique_ptr<ClientStream>(new ClientStream(std::move(fd), nullptr));
  SSL* ssl = SSL_new(tls->get());
  if (ssl == nullptr) return absl::InternalError("start TLS: " + OpenSslReason());
  std::unique_ptr<ClientStream> stream(new ClientStream(std::move(fd), ssl));
  SSL_set_fd(ssl, stream->fd());
  if (SSL_accept(ssl) != 1) {
    return absl::UnavailableError("TLS handshake: " + OpenSslReason());
  }
  return stream;
}

ClientStream::~ClientStream() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);  // one close_notify, best effort: the socket closes next anyway
    SSL_free(ssl_);
  }
}

absl::StatusOr<size_t> ClientStream::Read(std::string& out, size_t max) {
  char buffer[4096];
  size_t want = std::min(max, sizeof buffer);
  while (true) {
    if (ssl_ != nullptr) {
      int n = SSL_read(ssl_, buffer, static_cast<int>(want));
      if (n > 0) {
        out.append(buffer, static_cast<size_t>(n));
        return static_cast<size_t>(n);
      }
      int error = SSL_get_error(ssl_, n);
      if (error == SSL_ERROR_ZERO_RETURN) return 0;
      return absl::UnavailableError("read from the browser: TLS: " + OpenSslReason());
    }
    ssize_t n = ::recv(fd_.get(), buffer, want, 0);
    if (n >= 0) {
      out.append(buffer, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    return base::SyscallError("read from the browser", errno);
  }
}

absl::Status ClientStream::Write(absl::string_view data) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n <= 0) return absl::UnavailableError("write to the browser: TLS: " + OpenSslReason());
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::SyscallError("write to the browser", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

void ClientStream::LingeringClose() {
  if (ssl_ != nullptr) return;
  ::shutdown(fd_.get(), SHUT_WR);
  timeval tv{.tv_sec = 1, .tv_usec = 0};
  (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buffer[4096];
  for (size_t dropped = 0; dropped < 64 * 1024;) {
    ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (n <= 0) return;
    dropped += static_cast<size_t>(n);
  }
}

void ClientStream::Shutdown() { ::shutdown(fd_.get(), SHUT_RDWR); }

}  // namespace corral::agent::dashboard
