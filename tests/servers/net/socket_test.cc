// Listener options over real loopback sockets: TCP_DEFER_ACCEPT holds a silent connection back
// from accept() until its first bytes arrive, and reads back for listeners that join the port.
#include "servers/net/socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace corral::net {
namespace {

base::UniqueFd ConnectTo(const Address& address) {
  base::UniqueFd client(::socket(address.sockaddr_ptr()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(client);
  EXPECT_EQ(::connect(client.get(), address.sockaddr_ptr(), address.length()), 0) << errno;
  return client;
}

// A loopback listener made by ListenTcp with `options`, and a client connected to it.
struct Connected {
  explicit Connected(const ListenOptions& options = {}) {
    absl::StatusOr<base::UniqueFd> made = ListenTcp(*Address::Parse("127.0.0.1:0"), options);
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return;
    listener = *std::move(made);
    absl::StatusOr<Address> bound = LocalAddress(listener.get());
    EXPECT_TRUE(bound.ok()) << bound.status();
    if (bound.ok()) client = ConnectTo(*bound);  // the handshake completes on the client's side
  }

  // The connection, once accept() offers it within 5 s; invalid otherwise.
  base::UniqueFd Accept() const {
    pollfd ready{listener.get(), POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) return base::UniqueFd();
    return base::UniqueFd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  }

  base::UniqueFd listener;
  base::UniqueFd client;
};

TEST(SocketTest, DeferredListenerAcceptsAConnectionOnlyOnceItsFirstBytesArrive) {
  ListenOptions options;
  options.defer_accept_seconds = 30;  // far longer than the test: only data releases it
  Connected c(options);
  ASSERT_TRUE(c.client);
  EXPECT_LT(::accept4(c.listener.get(), nullptr, nullptr, SOCK_CLOEXEC), 0);
  EXPECT_EQ(errno, EAGAIN);

  ASSERT_EQ(::send(c.client.get(), "x", 1, 0), 1);
  base::UniqueFd accepted = c.Accept();
  ASSERT_TRUE(accepted) << errno;
  char byte = 0;
  EXPECT_EQ(::recv(accepted.get(), &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'x');
}

TEST(SocketTest, PlainListenerAcceptsASilentConnection) {
  Connected c;
  ASSERT_TRUE(c.client);
  EXPECT_TRUE(c.Accept());
}

TEST(SocketTest, AcceptedConnectionsInheritNoDelayFromTheListener) {
  Connected c;
  ASSERT_TRUE(c.client);
  base::UniqueFd accepted = c.Accept();
  ASSERT_TRUE(accepted) << errno;
  int no_delay = 0;
  socklen_t length = sizeof no_delay;
  ASSERT_EQ(::getsockopt(accepted.get(), IPPROTO_TCP, TCP_NODELAY, &no_delay, &length), 0);
  EXPECT_NE(no_delay, 0);
}

TEST(SocketTest, DeferAcceptSecondsReadsBackWhatTheListenerHas) {
  absl::StatusOr<base::UniqueFd> plain = ListenTcp(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(DeferAcceptSeconds(plain->get()).value_or(-1), 0);

  ListenOptions options;
  options.defer_accept_seconds = 1;
  absl::StatusOr<base::UniqueFd> deferred = ListenTcp(*Address::Parse("127.0.0.1:0"), options);
  ASSERT_TRUE(deferred.ok()) << deferred.status();
  EXPECT_GE(DeferAcceptSeconds(deferred->get()).value_or(-1), 1);
}

// A receive loop reacts to recvfrom as an accept loop to accept4: retry what only says "nothing
// to serve now" (an earlier reply's ICMP error included), back off when out of memory, and stop
// only when the socket itself is broken.
TEST(ClassifyReceiveErrnoTest, SortsErrnoLikeTheAcceptClassifier) {
  for (int err : {EINTR, EAGAIN, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH}) {
    EXPECT_EQ(ClassifyReceiveErrno(err), ReceiveError::kRetry) << err;
  }
  for (int err : {ENOMEM, ENOBUFS}) {
    EXPECT_EQ(ClassifyReceiveErrno(err), ReceiveError::kOutOfResources) << err;
    EXPECT_EQ(ClassifyAcceptErrno(err), AcceptError::kOutOfFds) << err;
  }
  for (int err : {EBADF, ENOTSOCK, EINVAL, EFAULT}) {
    EXPECT_EQ(ClassifyReceiveErrno(err), ReceiveError::kFatal) << err;
    EXPECT_EQ(ClassifyAcceptErrno(err), AcceptError::kFatal) << err;
  }
}

}  // namespace
}  // namespace corral::net
