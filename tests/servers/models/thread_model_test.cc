// What only the thread model's accepting threads can get wrong: serving beyond the cap, a
// thread count that grows with a burst and never shrinks back, and a connection left without
// a thread after others ended.
#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/servers/models/cap_scenario.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

size_t ThreadsOf(pid_t pid) {
  size_t n = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (dir == nullptr) return 0;
  while (dirent* entry = ::readdir(dir)) n += entry->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

TEST(ThreadModelTest, TheCapPausesAcceptingWithoutDroppingAnyone) {
  ServerProcess server({"--protocol", "tcp-echo", "--model", "thread", "--max-workers", "2",
                        "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  ExpectCapPausesAcceptingWithoutDropping(server);
}

TEST(ThreadModelTest, ABurstGetsAThreadPerConnectionAndIdleThreadsExitAfterwards) {
  ServerProcess server({"--protocol", "tcp-echo", "--model", "thread", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.ready()) << server.detail();
  // The main thread, and the first accepting thread if it has started yet.
  const size_t at_rest = ThreadsOf(server.pid());

  // Forty connections held open at once are all served at once: a thread each.
  std::vector<base::UniqueFd> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(ConnectTcp(server.detail()));
    ASSERT_TRUE(clients.back());
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    std::string message = "m" + std::to_string(i);
    ASSERT_EQ(EchoOn(clients[i].get(), message), message) << "client " << i;
  }
  EXPECT_GE(ThreadsOf(server.pid()), at_rest + 40);

  // Once they leave, the threads wait for the next connections, then give up their stacks:
  // back to the main thread and one waiting to accept.
  clients.clear();
  EXPECT_TRUE(
      WaitFor([&] { return ThreadsOf(server.pid()) <= at_rest + 1; }, std::chrono::seconds(40)))
      << ThreadsOf(server.pid()) << " threads, " << at_rest << " at rest";

  // And the one left still accepts.
  base::UniqueFd late = ConnectTcp(server.detail());
  EXPECT_EQ(EchoOn(late.get(), "late"), "late");
}

}  // namespace
}  // namespace corral::testing
