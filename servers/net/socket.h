// Socket helpers for listeners and accepted connections. No policy here: each call does one
// thing, closes what it opened on failure, and names the failing syscall in its error.
// Every descriptor is created CLOEXEC and non-blocking.
#pragma once

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "servers/net/address.h"

namespace corral::net {

struct ListenOptions {
  int backlog = 1024;
  // SO_REUSEPORT, so that several listeners (one per hub or worker) share the port.
  bool reuse_port = false;
  // With reuse_port: first make sure no other socket holds the port (the first listener of a
  // group checks; the ones that join it on the now-known port do not).
  bool check_port_free = true;
  // TCP_DEFER_ACCEPT: accept() sees a connection only once its first bytes arrived, or (on
  // Linux) once this many seconds passed without any; 0 sees each at once.
  int defer_accept_seconds = 0;
};

// socket + SO_REUSEADDR (+ SO_REUSEPORT) + bind + TCP_NODELAY (+ TCP_DEFER_ACCEPT) + listen.
// Accepted connections inherit TCP_NODELAY from the listener.
absl::StatusOr<base::UniqueFd> ListenTcp(const Address& address, const ListenOptions& options = {});

// socket + bind for UDP; reuse_port and check_port_free as in ListenOptions.
absl::StatusOr<base::UniqueFd> BindUdp(const Address& address, bool reuse_port = false,
                                       bool check_port_free = true);

// The TCP_DEFER_ACCEPT seconds a listener has (0: none), so that listeners joining its port
// can match it.
absl::StatusOr<int> DeferAcceptSeconds(int listener);

// The address a socket is bound to (after port 0, the real port).
absl::StatusOr<Address> LocalAddress(int fd);

// Disables Nagle's algorithm: request/response protocols must not wait for the ACK of the
// previous segment.
void SetNoDelay(int fd);

// What an accept() failure means for the accept loop.
enum class AcceptError {
  kRetry,     // EINTR, EAGAIN, ECONNABORTED, EPROTO: nothing to do, try again when readable.
  kOutOfFds,  // EMFILE, ENFILE, ENOBUFS, ENOMEM: back off, do not spin.
  kFatal,     // EBADF, EINVAL, ENOTSOCK, ...: the listener is broken.
};
AcceptError ClassifyAcceptErrno(int err);

// What a recvfrom() or recvmmsg() failure on a datagram socket means for the receive loop: the
// same three answers as for accept, so every model reacts alike.
enum class ReceiveError {
  kRetry,           // EINTR, EAGAIN, and an earlier send's ICMP error (ECONNREFUSED,
                    // EHOSTUNREACH, ENETUNREACH): nothing to serve, receive again when readable.
  kOutOfResources,  // ENOMEM, ENOBUFS: back off, do not spin.
  kFatal,           // EBADF, ENOTSOCK, ...: the socket is broken.
};
ReceiveError ClassifyReceiveErrno(int err);

}  // namespace corral::net
