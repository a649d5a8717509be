// AccessTest: AgentTest whose agent's home and socket are open to every user (as an operator
// opening the socket to a team would), and corralctl run as uid 65534 (nobody, in group
// nogroup, with no supplementary groups) through setpriv, so that the agent's checks, not the
// file modes, refuse or admit. Needs root; skipped otherwise.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/integration/agent_fixture.h"

namespace corral::testing {

inline constexpr const char* kNobody = "65534";

class AccessTest : public AgentTest {
 protected:
  void SetUp() override {
    if (::getuid() != 0) GTEST_SKIP() << "needs root to run corralctl as another uid";
    AgentTest::SetUp();
  }

  // Restarts the agent with `flags` and opens its home and socket to every user.
  void StartOpenAgent(std::vector<std::string> flags) {
    stub_.reset();
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

}  // namespace corral::testing
