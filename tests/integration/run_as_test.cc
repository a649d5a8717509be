// As whom servers run (spec fields `user` and `group`): the agent drops the server's
// privileges between fork and exec, so a server running as nobody opens its files as nobody;
// a caller admitted by --allow-group cannot run a server as anyone more privileged than itself
// unless the agent says so; a root agent runs servers as root only when told to. The agent
// (root, as in CI) still reads the stats and logs of a server running as nobody.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/integration/access_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

class RunAsTest : public AccessTest {
 protected:
  // The values of `field` ("Uid", "Gid", "Groups") in /proc/PID/status, joined by one space.
  static std::string ProcStatus(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (!absl::StartsWith(line, field + ":")) continue;
      std::vector<std::string> values =
          absl::StrSplit(line.substr(field.size() + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
      return absl::StrJoin(values, " ");
    }
    return "(no " + field + " in /proc/" + std::to_string(pid) + "/status)";
  }

  // The HTTP status code of GET http://ADDRESS/PATH, as curl reports it.
  static std::string HttpStatus(const std::string& address, const std::string& path) {
    return RunCommand({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                       "20", "http://" + address + path})
        .out;
  }

  pid_t RunningPid(const std::string& name) {
    absl::StatusOr<v1::Server> server = Get(name);
    if (!server.ok() || server->state() != v1::STATE_RUNNING) {
      ADD_FAILURE() << name << " is not running: "
                    << (server.ok() ? server->DebugString() : server.status().ToString());
      return 0;
    }
    return server->pid();
  }
};

TEST_F(RunAsTest, AServerStartedAsNobodyRunsAsNobodyAndCannotServeShadow) {
  CommandResult started = Ctl({"start", "esc", "-p", "http", "-m", "thread", "-l", "127.0.0.1:0",
                               "--root", "/etc", "--user", "nobody"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const pid_t pid = RunningPid("esc");
  ASSERT_NE(pid, 0);
  EXPECT_EQ(ProcStatus(pid, "Uid"), "65534 65534 65534 65534");
  EXPECT_EQ(ProcStatus(pid, "Gid"), "65534 65534 65534 65534");
  EXPECT_EQ(ProcStatus(pid, "Groups"), "");  // root's supplementary groups are dropped

  const std::string address = Get("esc")->bound_address();
  EXPECT_EQ(HttpStatus(address, "/passwd"), "200");  // readable by everyone: served
  const std::string shadow = HttpStatus(address, "/shadow");
  EXPECT_TRUE(shadow == "403" || shadow == "404") << "GET /shadow answered " << shadow;

  CommandResult get = Ctl({"get", "esc"});
  EXPECT_TRUE(absl::StrContains(get.out, "nobody")) << get.out;
}

TEST_F(RunAsTest, StatsAndLogsOfANobodyServerAreReadThroughCorralctl) {
  ASSERT_EQ(Ctl({"start", "web", "-p", "http", "-m", "fork", "-l", "127.0.0.1:0", "--root", "/etc",
                 "--user", "nobody"})
                .exit_code,
            0);
  const std::string address = Get("web")->bound_address();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(HttpStatus(address, "/passwd"), "200");

  // The agent samples the scoreboard on its own schedule: wait for the three requests.
  std::string stats;
  WaitFor([&] {
    stats = Ctl({"--json", "stats", "web"}).out;
    return absl::StrContains(stats, "\"scoreboardAvailable\": true") &&
           absl::StrContains(stats, "\"requests\": \"3\"");
  });
  EXPECT_TRUE(absl::StrContains(stats, "\"scoreboardAvailable\": true")) << stats;
  EXPECT_TRUE(absl::StrContains(stats, "\"requests\": \"3\"")) << stats;

  CommandResult logs = Ctl({"logs", "web"});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_TRUE(absl::StrContains(logs.out, "serving http")) << logs.out;
}

TEST_F(RunAsTest, ARootAgentRefusesAServerWithoutAUserUnlessTold) {
  allow_root_servers_ = false;
  StartOpenAgent({});
  CommandResult refused = Ctl({"start", "web", "-p", "tcp-echo", "-m", "thread"});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "--allow-root-servers")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "--user NAME")) << refused.err;
  EXPECT_FALSE(absl::StrContains(Ctl({"ls"}).out, "web"));

  CommandResult named = Ctl({"start", "web", "-p", "tcp-echo", "-m", "thread", "--user", "nobody"});
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(EchoOnce(Get("web")->bound_address(), "hello"), "hello");
}

TEST_F(RunAsTest, ASavedServerWithoutAUserFailsOnceTheAgentLosesTheFlag) {
  ASSERT_EQ(Ctl({"start", "web", "-p", "tcp-echo", "-m", "thread"}).exit_code, 0);
  EXPECT_EQ(ProcStatus(RunningPid("web"), "Uid"), "0 0 0 0");
  allow_root_servers_ = false;
  StartOpenAgent({});  // the saved state still wants web running
  v1::Server web =
      WaitUntil("web", [](const v1::Server& s) { return s.state() == v1::STATE_FAILED; });
  EXPECT_TRUE(absl::StrContains(web.reason(), "--allow-root-servers")) << web.reason();
}

TEST_F(RunAsTest, AGroupOperatorRunsServersAsItselfAndAsOthersOnlyWithUserSwitch) {
  StartOpenAgent({"--allow-group", "nogroup:operator"});
  CommandResult own = CtlAsNobody({"start", "own", "-p", "tcp-echo", "-m", "thread"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(Get("own")->spec().user(), "nobody");
  EXPECT_EQ(ProcStatus(RunningPid("own"), "Uid"), "65534 65534 65534 65534");

  for (const std::vector<std::string>& as :
       {std::vector<std::string>{"--user", "root"}, {"--user", "nobody", "--group", "root"}}) {
    std::vector<std::string> args = {"start", "esc", "-p", "tcp-echo", "-m", "thread"};
    args.insert(args.end(), as.begin(), as.end());
    CommandResult refused = CtlAsNobody(args);
    EXPECT_EQ(refused.exit_code, 5) << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "uid 65534")) << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "--allow-user-switch")) << refused.err;
  }
  EXPECT_FALSE(absl::StrContains(Ctl({"ls"}).out, "esc"));

  StartOpenAgent({"--allow-group", "nogroup:operator", "--allow-user-switch"});
  CommandResult allowed =
      CtlAsNobody({"start", "esc", "-p", "tcp-echo", "-m", "thread", "--user", "root"});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(ProcStatus(RunningPid("esc"), "Uid"), "0 0 0 0");
}

}  // namespace
}  // namespace corral::testing
