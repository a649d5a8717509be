// CuttableConnections over real sockets: a cut reaches the connection a slot serves and wakes a
// thread blocked on it, never a connection its slot already closed, and slots leave the
// registry with their thread.
#include "servers/models/cuttable_connections.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "tests/support/wait_for.h"

namespace corral::models {
namespace {

struct Pair {
  Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0); }
  ~Pair() { ::close(fds[1]); }  // fds[0] is handed to a slot, which closes it
  int fds[2];
};

TEST(CuttableConnectionsTest, CutWakesAThreadBlockedOnItsConnection) {
  CuttableConnections connections;
  Pair pair;
  // A cut that does not come must fail the test, not hang it: the read gives up after 10 s.
  timeval limit{10, 0};
  ASSERT_EQ(::setsockopt(pair.fds[0], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
  ssize_t got = -2;
  std::thread server([&] {
    CuttableConnections::Slot mine(connections);
    mine.Serve(pair.fds[0]);
    char c;
    got = ::read(pair.fds[0], &c, 1);  // the peer never writes
    mine.CloseServed();
  });
  // The cut counts only a slot that serves: wait for the thread to register its connection.
  size_t cut = 0;
  testing::WaitFor([&] { return (cut = connections.CutAll()) != 0; });
  server.join();
  EXPECT_EQ(cut, 1u);
  EXPECT_EQ(got, 0);  // end of stream, as a handler sees it
}

TEST(CuttableConnectionsTest, ASlotThatClosedItsConnectionIsNotCut) {
  CuttableConnections connections;
  Pair served;
  const int number = served.fds[0];
  CuttableConnections::Slot mine(connections);
  mine.Serve(number);
  mine.CloseServed();
  // Its number now names another connection, which the cut must leave alone.
  Pair other;
  ASSERT_EQ(::dup2(other.fds[0], number), number);
  EXPECT_EQ(connections.CutAll(), 0u);
  ASSERT_EQ(::write(other.fds[1], "x", 1), 1);
  char c;
  EXPECT_EQ(::read(number, &c, 1), 1);  // a cut socket would read end of stream
  ::close(number);
  ::close(other.fds[0]);
}

TEST(CuttableConnectionsTest, ASlotLeavesTheRegistryWithItsThread) {
  CuttableConnections connections;
  Pair pair;
  {
    CuttableConnections::Slot mine(connections);
    mine.Serve(pair.fds[0]);
    EXPECT_EQ(connections.CutAll(), 1u);
  }  // closes what it served, and is gone
  EXPECT_EQ(connections.CutAll(), 0u);
}

}  // namespace
}  // namespace corral::models
