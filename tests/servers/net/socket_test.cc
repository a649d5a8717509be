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

UniqueFd ConnectTo(const Address& address) {
  UniqueFd client(::socket(address.sockaddr_ptr()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(client);
  EXPECT_EQ(::connect(client.get(), address.sockaddr_ptr(), address.length()), 0) << errno;
  return client;
}

TEST(SocketTest, DeferredListenerAcceptsAConnectionOnlyOnceItsFirstBytesArrive) {
  ListenOptions options;
  options.defer_accept_seconds = 30;  // far longer than the test: only data releases it
  absl::StatusOr<UniqueFd> listener = ListenTcp(*Address::Parse("127.0.0.1:0"), options);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<Address> bound = LocalAddress(listener->get());
  ASSERT_TRUE(bound.ok()) << bound.status();

  UniqueFd client = ConnectTo(*bound);  // the handshake completes on the client's side
  EXPECT_LT(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC), 0);
  EXPECT_EQ(errno, EAGAIN);

  ASSERT_EQ(::send(client.get(), "x", 1, 0), 1);
  pollfd ready{listener->get(), POLLIN, 0};
  ASSERT_EQ(::poll(&ready, 1, 5000), 1);
  UniqueFd accepted(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted) << errno;
  char byte = 0;
  EXPECT_EQ(::recv(accepted.get(), &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'x');
}

TEST(SocketTest, PlainListenerAcceptsASilentConnection) {
  absl::StatusOr<UniqueFd> listener = ListenTcp(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<Address> bound = LocalAddress(listener->get());
  ASSERT_TRUE(bound.ok()) << bound.status();
  UniqueFd client = ConnectTo(*bound);
  pollfd ready{listener->get(), POLLIN, 0};
  ASSERT_EQ(::poll(&ready, 1, 5000), 1);
  EXPECT_TRUE(UniqueFd(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC)));
}

TEST(SocketTest, AcceptedConnectionsInheritNoDelayFromTheListener) {
  absl::StatusOr<UniqueFd> listener = ListenTcp(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<Address> bound = LocalAddress(listener->get());
  ASSERT_TRUE(bound.ok()) << bound.status();
  UniqueFd client = ConnectTo(*bound);
  pollfd ready{listener->get(), POLLIN, 0};
  ASSERT_EQ(::poll(&ready, 1, 5000), 1);
  UniqueFd accepted(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted) << errno;
  int no_delay = 0;
  socklen_t length = sizeof no_delay;
  ASSERT_EQ(::getsockopt(accepted.get(), IPPROTO_TCP, TCP_NODELAY, &no_delay, &length), 0);
  EXPECT_NE(no_delay, 0);
}

TEST(SocketTest, DeferAcceptSecondsReadsBackWhatTheListenerHas) {
  absl::StatusOr<UniqueFd> plain = ListenTcp(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(DeferAcceptSeconds(plain->get()).value_or(-1), 0);

  ListenOptions options;
  options.defer_accept_seconds = 1;
  absl::StatusOr<UniqueFd> deferred = ListenTcp(*Address::Parse("127.0.0.1:0"), options);
  ASSERT_TRUE(deferred.ok()) << deferred.status();
  EXPECT_GE(DeferAcceptSeconds(deferred->get()).value_or(-1), 1);
}

}  // namespace
}  // namespace corral::net
