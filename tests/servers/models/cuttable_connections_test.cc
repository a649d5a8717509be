// CuttableConnections over real sockets: a cut reaches the connection a slot serves and wakes a
// thread blocked on it, never a connection its slot already closed, and slots leave the
// registry with their thread.
#include "servers/models/cuttable_connections.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <thread>

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
  for (int i = 0; i < 500 && cut == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    cut = connections.CutAll();
  }
  server.join();
  EXPECT_EQ(cut, 1u);
  EXPECT_EQ(got, 0);  // end of stream, as a handler sees it
}

TEST(CuttableConnectionsTest, ASlotThatClosedItsConnectionIsNotCut) {
  CuttableConnections connections;
  Pair served;
  CuttableConnections::Slot mine(connections);
  mine.Serve(served.fds[0]);
  mine.CloseServed();
  // Its number may now belong to another socket, which the cut must leave alone.
  Pair reused;
  ASSERT_EQ(reused.fds[0], served.fds[0]);  // the lowest free number comes back
  EXPECT_EQ(connections.CutAll(), 0u);
  ASSERT_EQ(::write(reused.fds[1], "x", 1), 1);
  char c;
  EXPECT_EQ(::read(reused.fds[0], &c, 1), 1);
  ::close(reused.fds[0]);
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
