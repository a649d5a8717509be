// The agent holds every server's sockets (issue 21, design decision 15): a restart does not
// close the port, so a client connecting meanwhile waits in the backlog and is served by the new
// process, under every model, and several named sockets (TCP and UDP) reach a program in order.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "servers/net/polling_stream.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

const std::string kProgram = std::string(CORRAL_SOURCE_DIR) + "/tests/programs/fd3_server.py";

// A model and a pool size (0: a worker per connection). Pools are here because a draining pool
// once shut the listener down, which broke the agent's socket for the next process.
struct HandoverCase {
  v1::Model model;
  uint32_t pool_size;
};

class SocketHandoverTest : public AgentTest, public ::testing::WithParamInterface<HandoverCase> {};

// Restarts while a client echoes in a loop: not one connection may be refused or cut, and the
// port stays the same.
TEST_P(SocketHandoverTest, RestartsUnderLoadRefuseNoConnection) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server, [](v1::ServerSpec& spec) {
                spec.set_model(GetParam().model);
                spec.set_pool_size(GetParam().pool_size);
              }).ok());
  ASSERT_EQ(server.state(), v1::STATE_RUNNING);
  const std::string address = server.bound_address();
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, failed{0};
  std::thread client([&] {
    while (!done) {
      (EchoOnce(address, "ping") == "ping" ? served : failed)++;
    }
  });
  for (int i = 0; i < 3; ++i) {
    const pid_t before = Get("echo")->pid();
    ASSERT_EQ(Ctl({"restart", "echo"}).exit_code, 0);
    v1::Server after = *Get("echo");
    EXPECT_NE(after.pid(), before);
    EXPECT_EQ(after.bound_address(), address);
  }
  done = true;
  client.join();
  EXPECT_EQ(failed, 0) << "of " << served + failed << " echoes";
  EXPECT_GT(served, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Models, SocketHandoverTest,
    ::testing::Values(HandoverCase{v1::MODEL_FORK, 0}, HandoverCase{v1::MODEL_FORK, 2},
                      HandoverCase{v1::MODEL_THREAD, 0}, HandoverCase{v1::MODEL_THREAD, 2},
                      HandoverCase{v1::MODEL_COROUTINE, 0}),
    [](const auto& info) {
      std::string name = std::string(v1::Model_Name(info.param.model)).substr(6);
      if (info.param.pool_size > 0) absl::StrAppend(&name, "_POOL");
      return name;
    });

// A client that connects while no process accepts (the old one has stopped accepting, the new
// one is not started) is answered by the new process.
TEST_F(AgentTest, AClientConnectingDuringARestartIsServedByTheNewProcess) {
  CommandResult started = Ctl({"start", "py", "--listen", "127.0.0.1:0", "--stop-timeout-ms",
                               "5000", "--", "python3", kProgram, "--slow-exit", "1500"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  v1::Server server =
      WaitUntil("py", [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
  const pid_t old_pid = server.pid();
  std::thread restart([this] { Ctl({"restart", "py"}); });
  WaitUntil("py", [](const v1::Server& s) { return s.state() == v1::STATE_STOPPING; });
  // Until the old process has closed its copy of the socket (descriptor 3) on SIGTERM: from
  // then on only the agent's copy is open and nothing accepts.
  const std::string old_fd = absl::StrCat("/proc/", old_pid, "/fd/3");
  ASSERT_TRUE(WaitFor([&] { return !std::filesystem::exists(old_fd); }));
  std::string body = HttpGetBody(server.bound_address(), "/");
  restart.join();
  v1::Server after = *Get("py");
  EXPECT_NE(after.pid(), old_pid);
  EXPECT_TRUE(absl::StrContains(body, absl::StrCat("\"pid\": ", after.pid()))) << body;
}

TEST_F(AgentTest, SeveralNamedSocketsReachTheProgramInOrder) {
  CommandResult started =
      Ctl({"start", "py", "--listen", "127.0.0.1:0", "--listen", "dns=udp:127.0.0.1:0", "--listen",
           "admin=127.0.0.1:0", "--", "python3", kProgram});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  v1::Server server =
      WaitUntil("py", [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
  ASSERT_EQ(server.sockets_size(), 3);
  EXPECT_TRUE(server.sockets(1).udp());
  const std::string body = HttpGetBody(server.bound_address(), "/");
  EXPECT_TRUE(absl::StrContains(body, "\"fdnames\": \"listen:dns:admin\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"listen_fds\": \"3\"")) << body;
  CommandResult get = Ctl({"get", "py"});
  EXPECT_TRUE(absl::StrContains(get.out, "admin tcp 127.0.0.1:")) << get.out;
}

}  // namespace
}  // namespace corral::testing
