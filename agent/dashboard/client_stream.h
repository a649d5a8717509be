// ClientStream: one accepted browser connection, plain or TLS (OpenSSL), with blocking reads
// and writes bounded by the socket's timeouts (SO_RCVTIMEO/SO_SNDTIMEO), so a connection
// thread never waits on a silent client for longer than that. TlsContext holds the certificate
// and key of --tls-cert/--tls-key, loaded once at start.
// Threads: a ClientStream belongs to its connection thread; Shutdown may be called from any
// thread (it only shuts the socket down, which wakes a blocked read or write).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/unique_fd.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace corral::agent::dashboard {

class TlsContext {
 public:
  // Loads a PEM certificate (chain) and its key; an error names the file and OpenSSL's reason.
  static absl::StatusOr<std::shared_ptr<TlsContext>> Load(const std::string& cert_file,
                                                          const std::string& key_file);
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class ClientStream {
 public:
  // Takes `fd` (a connected socket) and sets its timeouts to `io_timeout`; with `tls`, runs the
  // server handshake (bounded by the same timeout).
  static absl::StatusOr<std::unique_ptr<ClientStream>> Accept(base::UniqueFd fd,
                                                              const TlsContext* tls,
                                                              std::chrono::milliseconds io_timeout);
  ~ClientStream();

  // Up to `max` bytes appended to `out`; 0 at the end of the stream; an error on a timeout or a
  // broken connection.
  absl::StatusOr<size_t> Read(std::string& out, size_t max);
  // All of `data`, or an error (timeout, peer gone).
  absl::Status Write(absl::string_view data);
  // After an answer sent before the request was read whole (431): ends the sending side, then
  // reads and drops what the client still sends (64 KiB and 1 s at most), so closing does not
  // reset the connection under the answer before the client has read it. Plain HTTP only; a
  // TLS stream just closes.
  void LingeringClose();
  // Wakes a blocked Read or Write; any thread.
  void Shutdown();
  int fd() const { return fd_.get(); }

 private:
  ClientStream(base::UniqueFd fd, SSL* ssl) : fd_(std::move(fd)), ssl_(ssl) {}
  base::UniqueFd fd_;
  SSL* ssl_;  // null for plain HTTP
};

}  // namespace corral::agent::dashboard
