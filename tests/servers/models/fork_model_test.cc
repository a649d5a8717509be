// What only the fork model can get wrong: zombies, leftover children, children outliving the
// server, and the cap on concurrent children.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "tests/servers/models/cap_scenario.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

TEST(ForkModelTest, ThousandConnectionsLeaveNoZombieAndNoChild) {
  ServerProcess server({"--protocol", "tcp-echo", "--model", "fork", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  for (int i = 0; i < 1000; ++i) {
    base::UniqueFd fd = ConnectTcp(server.detail());
    ASSERT_TRUE(fd) << i;
    ASSERT_EQ(EchoOn(fd.get(), "ping"), "ping") << i;
  }
  // Every child is reaped (a zombie would still be listed as a child).
  EXPECT_TRUE(WaitFor([&] { return server.Children().empty(); }))
      << server.Children().size() << " children left";
}

TEST(ForkModelTest, KillingTheServerKillsItsChildren) {
  ServerProcess server({"--protocol", "tcp-echo", "--model", "fork", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd a = ConnectTcp(server.detail());
  base::UniqueFd b = ConnectTcp(server.detail());
  ASSERT_EQ(EchoOn(a.get(), "a"), "a");
  ASSERT_EQ(EchoOn(b.get(), "b"), "b");
  std::vector<pid_t> children = server.Children();
  ASSERT_EQ(children.size(), 2u);
  ASSERT_NE(server.SignalAndWait(SIGKILL), -1);
  for (pid_t child : children) {
    EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(child); })) << "child " << child << " outlived";
  }
}

TEST(ForkModelTest, TheCapPausesAcceptingWithoutDroppingAnyone) {
  ServerProcess server({"--protocol", "tcp-echo", "--model", "fork", "--max-workers", "2",
                        "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  ExpectCapPausesAcceptingWithoutDropping(server, [&] { EXPECT_EQ(server.Children().size(), 2u); });
}

}  // namespace
}  // namespace corral::testing
