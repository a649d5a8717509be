// Who may command the agent: every call on the control socket is checked against the caller's
// kernel credentials, whatever the socket's mode. The socket is opened to everyone here (as an
// operator opening it to a team would), and corralctl runs as uid 65534 (nobody, in group
// nogroup) through setpriv, so the check itself, not the file mode, is what refuses or admits.
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "tests/integration/agent_fixture.h"

namespace corral::testing {
namespace {

constexpr const char* kNobody = "65534";

class AccessTest : public AgentTest {
 protected:
  void SetUp() override {
    if (::getuid() != 0) GTEST_SKIP() << "needs root to run corralctl as another uid";
    AgentTest::SetUp();
  }

  // Restarts the agent with `flags` and opens its home and socket to every user.
  void StartOpenAgent(std::vector<std::string> flags) {
    if (agent_) agent_->SignalAndWait(SIGTERM);
    flags.push_back("--stop-servers-on-exit");
    StartAgent(flags);
    ASSERT_EQ(::chmod(home_.c_str(), 0711), 0);
    ASSERT_EQ(::chmod((home_ + "/agent.sock").c_str(), 0666), 0);
  }

  // corralctl ARGS as uid and gid 65534 with no supplementary groups.
  CommandResult CtlAsNobody(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        "/usr/bin/setpriv", std::string("--reuid=") + kNobody, std::string("--regid=") + kNobody,
        "--clear-groups",   BinaryPath("corralctl"),           "--agent",
        socket_address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
};

TEST_F(AccessTest, AnotherUserIsRefusedEvenWhenTheSocketIsOpenToAll) {
  StartOpenAgent({});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ls"},
        {"stats"},
        {"logs", "x"},
        {"start", "esc", "-p", "http", "-m", "thread", "-l", "127.0.0.1:0", "--root", "/etc"}}) {
    CommandResult refused = CtlAsNobody(args);
    EXPECT_EQ(refused.exit_code, 5) << args[0] << ": " << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "uid 65534")) << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "--allow-group")) << refused.err;
  }
  // Nothing was started, and the agent's own user is served as before.
  CommandResult ls = Ctl({"--json", "ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_FALSE(absl::StrContains(ls.out, "esc")) << ls.out;
}

TEST_F(AccessTest, AMonitorGroupMayReadButNotChange) {
  StartOpenAgent({"--allow-group", "nogroup:monitor"});
  ASSERT_EQ(Ctl({"start", "web", "-p", "tcp-echo", "-m", "thread", "-l", "127.0.0.1:0"}).exit_code,
            0);
  CommandResult ls = CtlAsNobody({"ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(absl::StrContains(ls.out, "web")) << ls.out;
  EXPECT_EQ(CtlAsNobody({"stats", "web"}).exit_code, 0);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"stop", "web"},
        {"restart", "web"},
        {"rm", "web"},
        {"start", "esc", "-p", "tcp-echo", "-m", "thread", "-l", "127.0.0.1:0"}}) {
    CommandResult refused = CtlAsNobody(args);
    EXPECT_EQ(refused.exit_code, 5) << args[0] << ": " << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "a monitor through group nogroup")) << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "needs the operator role")) << refused.err;
  }
  absl::StatusOr<v1::Server> web = Get("web");
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->state(), v1::STATE_RUNNING);
}

TEST_F(AccessTest, AnOperatorGroupMayChange) {
  StartOpenAgent({"--allow-group", "nogroup:operator"});
  CommandResult started =
      CtlAsNobody({"start", "web", "-p", "tcp-echo", "-m", "thread", "-l", "127.0.0.1:0"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(CtlAsNobody({"rm", "web"}).exit_code, 0);
}

TEST_F(AccessTest, AMalformedGrantIsAUsageError) {
  for (const std::string& grant : {"nogroup:admin", "no-such-group-here", ":operator"}) {
    CommandResult agent = RunCommand(
        {BinaryPath("corral-agent"), "--home", home_ + "/other", "--allow-group", grant});
    EXPECT_EQ(agent.exit_code, 2) << grant << ": " << agent.err;
    EXPECT_TRUE(absl::StrContains(agent.err, "--allow-group")) << agent.err;
  }
}

}  // namespace
}  // namespace corral::testing
