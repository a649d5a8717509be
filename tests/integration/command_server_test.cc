// Command servers (issue 21): real programs (tests/programs/*.py) supervised by a real agent,
// which binds their sockets, hands them over from descriptor 3 and reads sd_notify.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

const std::string kProgram = std::string(CORRAL_SOURCE_DIR) + "/tests/programs/fd3_server.py";

class CommandServerTest : public AgentTest {
 protected:
  // `corralctl start NAME FLAGS... -- python3 fd3_server.py PROGRAM_ARGS...`
  CommandResult StartCommand(const std::string& name, std::vector<std::string> flags,
                             const std::vector<std::string>& program_args = {}) {
    std::vector<std::string> args = {"start", name};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "python3", kProgram});
    args.insert(args.end(), program_args.begin(), program_args.end());
    return Ctl(args);
  }

  v1::Server WaitForState(const std::string& name, v1::State state) {
    return WaitUntil(name, [state](const v1::Server& s) { return s.state() == state; });
  }
};

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// A process may take a moment to be reaped by init.
bool WaitGone(pid_t pid) {
  return WaitFor([pid] { return !Alive(pid); });
}

TEST_F(CommandServerTest, TakesItsSocketFromDescriptor3WithEnvCwdAndKeepsThePort) {
  const std::string dir = home_ + "/work";
  std::filesystem::create_directories(dir);
  std::ofstream(home_ + "/app.env") << "# comment\nBAR='from file'\nFOO=overridden\n";
  CommandResult started = StartCommand(
      "py", {"--listen", "127.0.0.1:0", "--ready", "http:/", "--env-file", home_ + "/app.env",
             "--env", "FOO=bar", "--cwd", dir, "--umask", "027", "--max-open-files", "512"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  v1::Server server = WaitForState("py", v1::STATE_RUNNING);
  ASSERT_FALSE(server.bound_address().empty());
  const std::string body = HttpGetBody(server.bound_address(), "/");
  EXPECT_TRUE(absl::StrContains(body, absl::StrCat("\"listen_pid\": \"", server.pid(), "\"")))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "\"fdnames\": \"listen\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"foo\": \"bar\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"bar\": \"from file\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, absl::StrCat("\"cwd\": \"", dir, "\""))) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"umask\": \"0027\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"nofile\": 512")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"stdin\": \"/dev/null\"")) << body;

  // A crash and an explicit restart both come back on the same port (port 0 resolved once).
  const pid_t first = server.pid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  server = WaitUntil("py", [first](const v1::Server& s) {
    return s.state() == v1::STATE_RUNNING && s.pid() != first && s.pid() != 0;
  });
  EXPECT_EQ(server.bound_address(), server.sockets(0).address());
  const std::string address = server.bound_address();
  ASSERT_EQ(Ctl({"restart", "py"}).exit_code, 0);
  server = WaitForState("py", v1::STATE_RUNNING);
  EXPECT_EQ(server.bound_address(), address);
  EXPECT_FALSE(HttpGetBody(address, "/").empty());

  // Stopped for good, the socket is closed: the port refuses.
  ASSERT_EQ(Ctl({"stop", "py"}).exit_code, 0);
  EXPECT_FALSE(CanConnect(address));
}

// As root the agent switches user; the program finds its socket and cwd as that user.
TEST_F(CommandServerTest, AsRootTheProgramRunsAsNobody) {
  if (::geteuid() != 0) GTEST_SKIP() << "only a root agent switches user";
  // Debian's python3: a pyenv one under /root is out of nobody's reach.
  CommandResult started =
      Ctl({"start", "py", "--listen", "127.0.0.1:0", "--user", "nobody", "--cwd", "/tmp", "--ready",
           "http:/", "--", "/usr/bin/python3", kProgram});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  v1::Server server = WaitForState("py", v1::STATE_RUNNING);
  const std::string body = HttpGetBody(server.bound_address(), "/");
  EXPECT_TRUE(absl::StrContains(body, "\"uid\": 65534")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"cwd\": \"/tmp\"")) << body;
}

// After an agent restart the adopted process keeps its socket; once it dies, the new agent binds
// the same address again, so the server comes back on its port (which was port 0 at the start).
TEST_F(CommandServerTest, AnAdoptedServerComesBackOnItsPortAfterACrash) {
  // Servers outlive this agent.
  agent_->SignalAndWait(SIGTERM);
  StartAgent({});
  ASSERT_EQ(
      StartCommand("py", {"--listen", "127.0.0.1:0", "--ready", "notify"}, {"--notify"}).exit_code,
      0);
  v1::Server server = WaitForState("py", v1::STATE_RUNNING);
  ASSERT_NE(agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20)), -1);
  StartAgent();
  v1::Server adopted = *Get("py");
  ASSERT_TRUE(adopted.adopted());
  EXPECT_EQ(adopted.bound_address(), server.bound_address());
  ASSERT_EQ(::kill(adopted.pid(), SIGKILL), 0);
  v1::Server again = WaitUntil("py", [&adopted](const v1::Server& s) {
    return s.state() == v1::STATE_RUNNING && s.pid() != adopted.pid() && s.pid() != 0;
  });
  EXPECT_EQ(again.bound_address(), server.bound_address());
  EXPECT_FALSE(HttpGetBody(again.bound_address(), "/").empty());
}

// A process that stops sending WATCHDOG=1 is killed with SIGABRT and restarted, the reason
// naming the watchdog; one that keeps sending it is left alone.
TEST_F(CommandServerTest, TheWatchdogRestartsAProcessThatStopsPinging) {
  ASSERT_EQ(StartCommand("hangs",
                         {"--listen", "127.0.0.1:0", "--ready", "notify", "--watchdog-ms", "300",
                          "--backoff-initial-ms", "5000"},
                         {"--notify", "--ping-for-ms", "600"})
                .exit_code,
            0);
  ASSERT_EQ(StartCommand("pings",
                         {"--listen", "127.0.0.1:0", "--ready", "notify", "--watchdog-ms", "300"},
                         {"--notify", "--ping-for-ms", "-1"})
                .exit_code,
            0);
  const pid_t healthy = Get("pings")->pid();
  v1::Server server = WaitForState("hangs", v1::STATE_BACKOFF);
  EXPECT_EQ(server.last_exit().signal(), SIGABRT);
  EXPECT_TRUE(absl::StartsWith(server.reason(), "watchdog: no WATCHDOG=1 for ")) << server.reason();
  EXPECT_TRUE(absl::StrContains(server.reason(), "killed with SIGABRT")) << server.reason();
  v1::Server other = *Get("pings");
  EXPECT_EQ(other.pid(), healthy);
  EXPECT_EQ(other.state(), v1::STATE_RUNNING);
  EXPECT_EQ(other.restarts(), 0u);
}

TEST_F(CommandServerTest, NotifyReadyAndStatusShowInGet) {
  ASSERT_EQ(
      StartCommand("py", {"--listen", "127.0.0.1:0", "--ready", "notify"}, {"--notify"}).exit_code,
      0);
  v1::Server server = WaitForState("py", v1::STATE_RUNNING);
  EXPECT_EQ(server.status(), "serving 0 connections");
  CommandResult get = Ctl({"get", "py"});
  EXPECT_TRUE(absl::StrContains(get.out, "serving 0 connections")) << get.out;
  EXPECT_TRUE(absl::StrContains(get.out, "python3")) << get.out;
}

TEST_F(CommandServerTest, NeverReadyFailsAtTheReadyTimeout) {
  StartCommand("py", {"--listen", "127.0.0.1:0", "--ready", "notify", "--ready-timeout-ms", "1000"},
               {"--never-ready"});
  v1::Server server = WaitForState("py", v1::STATE_FAILED);
  EXPECT_TRUE(absl::StrContains(server.reason(), "did not report ready within 1s"))
      << server.reason();
  EXPECT_EQ(server.restarts(), 0u);
}

TEST_F(CommandServerTest, IgnoringSigtermIsKilledAtTheStopTimeout) {
  // Ready once it said so: by then SIGTERM is ignored.
  StartCommand("py", {"--listen", "127.0.0.1:0", "--stop-timeout-ms", "500", "--ready", "notify"},
               {"--ignore-term", "--notify"});
  v1::Server server = WaitForState("py", v1::STATE_RUNNING);
  const pid_t pid = server.pid();
  ASSERT_EQ(Ctl({"stop", "py"}).exit_code, 0);
  server = WaitForState("py", v1::STATE_STOPPED);
  EXPECT_EQ(server.last_exit().signal(), SIGKILL);
  EXPECT_TRUE(WaitGone(pid));
}

TEST_F(CommandServerTest, ADaemonisedGrandchildIsGoneAfterStop) {
  const std::string pid_file = home_ + "/grandchild.pid";
  // Ready once it said so: by then the grandchild has written its pid.
  StartCommand("py", {"--listen", "127.0.0.1:0", "--ready", "notify"},
               {"--grandchild", pid_file, "--notify"});
  WaitForState("py", v1::STATE_RUNNING);
  std::ifstream in(pid_file);
  pid_t grandchild = 0;
  ASSERT_TRUE(in >> grandchild);
  ASSERT_TRUE(Alive(grandchild));
  ASSERT_EQ(Ctl({"stop", "py"}).exit_code, 0);
  EXPECT_TRUE(WaitGone(grandchild));
}

TEST_F(CommandServerTest, AMissingProgramFailsWithTheReasonAndNoRetries) {
  CommandResult started = Ctl({"start", "py", "--listen", "127.0.0.1:0", "--", "python4", "x.py"});
  v1::Server server = WaitForState("py", v1::STATE_FAILED);
  EXPECT_EQ(server.reason(), "exec python4: no such file or directory");
  EXPECT_EQ(server.restarts(), 0u);
  EXPECT_EQ(server.pid(), 0);
  EXPECT_TRUE(server.sockets().empty());  // closed, not leaked
  CommandResult missing_env =
      Ctl({"start", "py2", "--env-file", home_ + "/none.env", "--", "python3", kProgram});
  server = WaitForState("py2", v1::STATE_FAILED);
  EXPECT_TRUE(absl::StrContains(server.reason(), "read env file")) << server.reason();
}

TEST_F(CommandServerTest, ATakenPortFailsWithTheAddress) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  const std::string taken = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  StartCommand("py", {"--listen", taken});
  v1::Server server = WaitForState("py", v1::STATE_FAILED);
  EXPECT_EQ(server.reason(), absl::StrCat("bind ", taken, ": address already in use"));
  ::close(fd);
}

TEST_F(CommandServerTest, UsageErrorsAreRefusedBeforeAnythingStarts) {
  CommandResult bad = Ctl({"start", "py", "--ready", "sometimes", "--", "python3", kProgram});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(bad.err, "unknown ready \"sometimes\"")) << bad.err;
  bad = Ctl({"start", "py", "--umask", "999", "--", "python3", kProgram});
  EXPECT_NE(bad.exit_code, 0);
  bad = Ctl({"start", "py", "--listen", "a=127.0.0.1:0", "--listen", "a=127.0.0.1:0", "--",
             "python3", kProgram});
  EXPECT_TRUE(absl::StrContains(bad.err, "given twice")) << bad.err;
  EXPECT_TRUE(Ctl({"ls"}).out.find("py") == std::string::npos);
}

}  // namespace
}  // namespace corral::testing
