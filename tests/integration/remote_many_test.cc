// One corralctl, several agents (issue 23 items 4 and 7): two agents in two homes on two ports,
// named in a contexts file, listed as one table with an AGENT column; an agent that cannot be
// reached is a row with its error, and the exit code says the table is incomplete. Also the
// agent's systemd readiness (item 6): READY=1 on a NOTIFY_SOCKET the test binds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <filesystem>

#include "tests/integration/agent_fixture.h"
#include "tests/integration/remote_fixture.h"
#include "tests/support/file_text.h"

namespace corral::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class ManyAgentsTest : public RemoteTest {
 protected:
  // corralctl with CORRAL_CONFIG naming the contexts file.
  CommandResult CtlWithContexts(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/env", "CORRAL_CONFIG=" + Path("config.yaml"),
                                     BinaryPath("corralctl")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
};

TEST_F(ManyAgentsTest, OneTableForTwoAgentsAndARowForTheUnreachableOne) {
  RemoteAgent* east = StartAgent("east");
  RemoteAgent* west = StartAgent("west");
  ASSERT_EQ(Ctl(*east, operator_token_,
                {"start", "web-east", "-p", "tcp-echo", "-m", "thread", "-l", "127.0.0.1:0"})
                .exit_code,
            0);
  ASSERT_EQ(Ctl(*west, operator_token_,
                {"start", "web-west", "-p", "tcp-echo", "-m", "thread", "-l", "127.0.0.1:0"})
                .exit_code,
            0);
  // Relative paths are the contexts file's directory's.
  WriteFile("config.yaml",
            "current: east\n"
            "agents:\n"
            "  east:\n"
            "    address: " +
                east->address +
                "\n"
                "    ca: ca.pem\n"
                "    token_file: viewer.token\n"
                "  west:\n"
                "    address: " +
                west->address +
                "\n"
                "    ca: ca.pem\n"
                "    token_file: ops.token\n");
  CommandResult both = CtlWithContexts({"ls", "--all"});
  EXPECT_EQ(both.exit_code, 0) << both.err;
  EXPECT_THAT(both.out, AllOf(ContainsRegex("^AGENT +NAME +STATE"),
                              ContainsRegex("\neast +web-east +RUNNING"),
                              ContainsRegex("\nwest +web-west +RUNNING")));

  // The current context, and another by name.
  CommandResult current = CtlWithContexts({"ls"});
  EXPECT_EQ(current.exit_code, 0) << current.err;
  EXPECT_THAT(current.out, AllOf(HasSubstr("web-east"), Not(HasSubstr("web-west"))));
  CommandResult named = CtlWithContexts({"--context", "west", "stop", "web-west"});
  EXPECT_EQ(named.exit_code, 0) << named.err;
  // east's context holds a monitor token: the contexts carry each agent's own credentials.
  EXPECT_EQ(CtlWithContexts({"--context", "east", "stop", "web-east"}).exit_code, 5);

  // A third agent that is not there: a row with its error, the others still listed, exit 6.
  WriteFile("config.yaml", FileText(Path("config.yaml")) +
                               "  gone:\n"
                               "    address: 127.0.0.1:1\n"
                               "    ca: ca.pem\n"
                               "    token_file: ops.token\n");
  CommandResult partial = CtlWithContexts({"--agents", "gone,east", "stats"});
  EXPECT_EQ(partial.exit_code, 6) << partial.err;
  EXPECT_THAT(partial.out,
              AllOf(ContainsRegex("^AGENT "), ContainsRegex("\neast +[0-9:]+ +web-east"),
                    ContainsRegex("\ngone +error: 127.0.0.1:1: ")));
  CommandResult unknown = CtlWithContexts({"--agents", "north", "ls"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no context \"north\""));
}

TEST(SystemdReadyTest, AgentSendsReadyToNotifySocketOnceItServes) {
  char pattern[] = "/tmp/corral-notify-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  const std::string socket_path = dir + "/notify";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  {
    std::vector<std::string> argv = {"/usr/bin/env", "NOTIFY_SOCKET=" + socket_path,
                                     BinaryPath("corral-agent"), "--home", dir + "/home"};
    ServerProcess agent(argv,
                        ProcessOptions{.log_path = dir + "/agent.log", .stop_signal = SIGTERM});
    pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
    ASSERT_EQ(::poll(&ready, 1, 20000), 1)
        << "no READY=1 within 20 s: " << FileText(dir + "/agent.log");
    char buffer[512] = {};
    ASSERT_GT(::recv(fd, buffer, sizeof buffer - 1, 0), 0);
    const std::string message = buffer;
    EXPECT_THAT(message, AllOf(HasSubstr("READY=1\n"),
                               HasSubstr("MAINPID=" + std::to_string(agent.pid()) + "\n")));
    // It serves by then: the socket answers.
    EXPECT_EQ(
        RunCommand({BinaryPath("corralctl"), "--agent", "unix:" + dir + "/home/agent.sock", "ls"})
            .exit_code,
        0);
  }
  ::close(fd);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace corral::testing
