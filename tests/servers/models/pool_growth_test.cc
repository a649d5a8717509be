// A stream pool serves more connections at once than it has workers: the worker that takes the
// last waiting place asks for another (servers/models/pool_gauge.h). With a fixed pool, the
// connections beyond its size waited in the accept queue for as long as the first ones stayed
// open (wrk -c50 on a fork pool of 4: 46 never answered, then reset by the drain).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/servers/models/model_cases.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

constexpr int kPoolSize = 2;
constexpr int kConnections = 4 * kPoolSize;

class PoolGrowthTest : public ::testing::TestWithParam<ModelCase> {};

// Every connection stays open (a keep-alive client between requests) while the next ones are
// opened, so none of them frees a worker for the others.
TEST_P(PoolGrowthTest, MoreOpenConnectionsThanWorkersAreAllServed) {
  std::vector<std::string> args = {"--protocol",  "tcp-echo",    "--listen",
                                   "127.0.0.1:0", "--pool-size", std::to_string(kPoolSize)};
  args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
  ServerProcess server(args);
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> open;
  for (int i = 0; i < kConnections; ++i) {
    open.push_back(ConnectTcp(server.detail()));
    ASSERT_TRUE(open.back()) << i;
    const std::string message = "hello " + std::to_string(i);
    ASSERT_EQ(EchoOn(open.back().get(), message), message)
        << "connection " << i << " of " << kConnections << " was not served by a pool of "
        << kPoolSize << " while the others stayed open";
  }
  // Each is still served: every one has its own worker, none was closed to make room.
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_EQ(EchoOn(open[i].get(), "again"), "again") << i;
  }
  open.clear();
  const int status = server.SignalAndWait(SIGTERM, std::chrono::seconds(60));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// The cap still holds: with max_workers below the connections, those beyond it wait (in the
// backlog, as under every model) and are served as soon as earlier ones leave.
TEST_P(PoolGrowthTest, GrowthStopsAtMaxWorkers) {
  std::vector<std::string> args = {"--protocol",    "tcp-echo",
                                   "--listen",      "127.0.0.1:0",
                                   "--pool-size",   std::to_string(kPoolSize),
                                   "--max-workers", "3"};
  args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
  ServerProcess server(args);
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(ConnectTcp(server.detail()));
    ASSERT_EQ(EchoOn(open.back().get(), "in"), "in") << i;
  }
  base::UniqueFd fourth = ConnectTcp(server.detail());
  ASSERT_TRUE(fourth);
  ASSERT_EQ(::send(fourth.get(), "late", 4, MSG_NOSIGNAL), 4);
  if (GetParam().name == "fork_pool") {
    EXPECT_LE(server.Children().size(), 3u) << "the pool grew past max_workers";
  }
  open.erase(open.begin());  // one leaves; its worker takes the fourth
  // Blocking, with a generous bound, so that a failure does not hang the test.
  ASSERT_EQ(::fcntl(fourth.get(), F_SETFL, 0), 0);
  const timeval limit{30, 0};
  ASSERT_EQ(::setsockopt(fourth.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
  std::string reply(4, '\0');
  ASSERT_EQ(::recv(fourth.get(), reply.data(), reply.size(), MSG_WAITALL), 4) << strerror(errno);
  EXPECT_EQ(reply, "late");
}

INSTANTIATE_TEST_SUITE_P(Pools, PoolGrowthTest,
                         ::testing::Values(ModelCase{"fork_pool", {"--model", "fork"}},
                                           ModelCase{"thread_pool", {"--model", "thread"}}),
                         ModelCaseName);

}  // namespace
}  // namespace corral::testing
