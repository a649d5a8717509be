// What only the coroutine model can get wrong: many connections on few threads, and the cap.
#include "servers/models/coroutine_model.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <fstream>
#include <thread>

#include "tests/servers/models/cap_scenario.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

int ThreadCount(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(CoroutineModelTest, ThousandConnectionsOnTwoHubThreads) {
  // The cap is split evenly across hubs and the kernel's hash need not split clients evenly,
  // so leave room: this test is about concurrency, not the cap.
  ServerProcess server({"--protocol", "tcp-echo", "--model", "coroutine", "--hubs", "2",
                        "--max-workers", "4096", "--max-connections-per-client", "0", "--listen",
                        "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> connections;
  for (int i = 0; i < 1000; ++i) {
    connections.push_back(ConnectTcp(server.detail()));
    ASSERT_TRUE(connections.back()) << i;
  }
  // Every connection is served, concurrently, by greenlets: the thread count stays at the
  // main thread plus two hubs, and the stall watchdog that samples them.
  for (size_t i = 0; i < connections.size(); ++i) {
    std::string message = Pattern(100, static_cast<unsigned>(i));
    ASSERT_EQ(EchoOn(connections[i].get(), message), message) << i;
  }
  EXPECT_EQ(ThreadCount(server.pid()), 4);
}

TEST(CoroutineModelTest, TheCapPausesAcceptingWithoutDroppingAnyone) {
  ServerProcess server({"--protocol", "tcp-echo", "--model", "coroutine", "--hubs", "1",
                        "--max-workers", "2", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  ExpectCapPausesAcceptingWithoutDropping(server);
}

TEST(CoroutineModelTest, TheCapIsTheWholeServersNotEachHubs) {
  // Two hubs cannot serve one connection each under --max-workers 1: the server runs one hub.
  // Eight clients wait, so that the kernel's SO_REUSEPORT hash sends one to a second hub,
  // were there one, all but surely (1 - 2^-8).
  ServerProcess server({"--protocol", "tcp-echo", "--model", "coroutine", "--hubs", "2",
                        "--max-workers", "1", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  ExpectCapPausesAcceptingWithoutDropping(server, {}, /*cap=*/1, /*waiting=*/8);
}

TEST(CoroutineModelTest, TheHubsCapsAddUpToMaxWorkers) {
  // Split without losing the remainder (3 over 2 hubs was 1 + 1) or adding to it.
  EXPECT_EQ(models::CoroutineModel::HubCap(3, 2, 0) + models::CoroutineModel::HubCap(3, 2, 1), 3u);
  EXPECT_EQ(models::CoroutineModel::HubCap(5, 3, 0), 2u);
  EXPECT_EQ(models::CoroutineModel::HubCap(5, 3, 2), 1u);
  models::ModelOptions options;
  options.hubs = 2;
  options.max_workers = 1;
  EXPECT_EQ(models::CoroutineModel::HubCount(options), 1u);
  options.max_workers = 8;
  EXPECT_EQ(models::CoroutineModel::HubCount(options), 2u);
}

TEST(CoroutineModelTest, PortInUseIsStillDetected) {
  ServerProcess first(
      {"--protocol", "tcp-echo", "--model", "coroutine", "--hubs", "2", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(first.ready()) << first.detail();
  // SO_REUSEPORT must not let a second server silently share the port.
  ServerProcess second(
      {"--protocol", "tcp-echo", "--model", "coroutine", "--listen", first.detail()});
  EXPECT_FALSE(second.ready());
  EXPECT_EQ(second.detail(), "bind " + first.detail() + ": address already in use");
}

}  // namespace
}  // namespace corral::testing
