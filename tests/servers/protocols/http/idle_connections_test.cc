#include "servers/protocols/http/idle_connections.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "gtest/gtest.h"

namespace corral::http {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server.Reset(fds[0]);
    client.Reset(fds[1]);
  }
  base::UniqueFd server;
  base::UniqueFd client;
};

// What a read on `fd` gets within `timeout`: the bytes, "EOF", or "timeout".
std::string ReadWithin(int fd, milliseconds timeout = milliseconds(30'000)) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return "timeout";
  char buffer[64];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n == 0) return "EOF";
  return n < 0 ? "error" : std::string(buffer, static_cast<std::size_t>(n));
}

TEST(IdleConnectionsTest, TheSweepEndsAWaitingConnection) {
  IdleConnections connections;
  SocketPair pair;
  IdleConnections::Waiting waiting(connections, pair.server.get());
  EXPECT_FALSE(connections.draining());
  connections.BeginDrain();
  EXPECT_TRUE(connections.draining());
  EXPECT_EQ(ReadWithin(pair.server.get()), "EOF");
}

// A busy client's connection waits between its requests for a moment at a time: a drain must
// not cut the request already on its way.
TEST(IdleConnectionsTest, BeforeTheSweepAWaitingConnectionStillGetsItsRequest) {
  std::optional<IdleConnections> connections(std::in_place);
  SocketPair pair;
  {
    IdleConnections::Waiting waiting(*connections, pair.server.get());
    connections->BeginDrain(hours(1));
    ASSERT_EQ(::write(pair.client.get(), "GET", 3), 3);
    EXPECT_EQ(ReadWithin(pair.server.get()), "GET");
  }
  connections.reset();  // does not wait out the hour
}

TEST(IdleConnectionsTest, AConnectionThatStoppedWaitingIsNotTouched) {
  IdleConnections connections;
  SocketPair left;
  SocketPair waiting_pair;
  { IdleConnections::Waiting waiting(connections, left.server.get()); }
  IdleConnections::Waiting waiting(connections, waiting_pair.server.get());
  connections.BeginDrain(milliseconds(0));
  EXPECT_EQ(ReadWithin(waiting_pair.server.get()), "EOF");  // the sweep has run
  // The one that left (busy inside a request, say) still reads what its client sends.
  ASSERT_EQ(::write(left.client.get(), "body", 4), 4);
  EXPECT_EQ(ReadWithin(left.server.get()), "body");
}

TEST(IdleConnectionsTest, AWaitAfterTheSweepTakesWhatArrivedThenEnds) {
  IdleConnections connections;
  SocketPair probe;
  {
    IdleConnections::Waiting waiting(connections, probe.server.get());
    connections.BeginDrain(milliseconds(0));
    ASSERT_EQ(ReadWithin(probe.server.get()), "EOF");  // the sweep has run
  }
  SocketPair pair;
  ASSERT_EQ(::write(pair.client.get(), "GET", 3), 3);
  IdleConnections::Waiting waiting(connections, pair.server.get());
  EXPECT_EQ(ReadWithin(pair.server.get()), "GET");
  EXPECT_EQ(ReadWithin(pair.server.get()), "EOF");
}

}  // namespace
}  // namespace corral::http
