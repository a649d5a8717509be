// Who may command the agent: every call on the control socket is checked against the caller's
// kernel credentials, whatever the socket's mode (the socket is open to all: access_fixture.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "tests/integration/access_fixture.h"

namespace corral::testing {
namespace {

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

// Strangers cannot hold the agent's descriptors: 200 connections from uid 65534 at once leave
// the agent with at most kMaxStrangers (32) of them (each costs it two descriptors), each closed
// by the agent within its grace, and the agent's own user is served meanwhile.
TEST_F(AccessTest, StrangersCannotRunTheAgentOutOfDescriptors) {
  StartOpenAgent({});
  auto agent_fds = [this] {
    int count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(agent_->pid()) + "/fd")) {
      ++count;
    }
    return count;
  };
  const int before = agent_fds();
  // Connects 200 times as nobody, reports how many connections the agent closed within 10 s,
  // then holds on to them until stdin closes.
  const std::string script =
      // One poll over every connection (not a timed recv on each in turn, whose pass over 200
      // sockets alone could use up the 10 s on a loaded machine).
      "import select, socket, sys, time\n"
      "conns = []\n"
      "for _ in range(200):\n"
      "    s = socket.socket(socket.AF_UNIX)\n"
      "    s.connect(sys.argv[1])\n"
      "    conns.append(s)\n"
      "print('connected', flush=True)\n"
      "poller = select.poll()\n"
      "for s in conns: poller.register(s, select.POLLIN)\n"
      "by_fd = {s.fileno(): s for s in conns}\n"
      "closed, deadline = set(), time.monotonic() + 10\n"
      "while len(closed) < len(conns) and time.monotonic() < deadline:\n"
      "    for fd, _ in poller.poll(100):\n"
      "        try:\n"
      "            gone = by_fd[fd].recv(65536) == b''\n"
      "        except OSError:\n"
      "            gone = True\n"
      "        if gone:\n"
      "            closed.add(fd)\n"
      "            poller.unregister(fd)\n"
      "print('closed', len(closed), flush=True)\n"
      "sys.stdin.read()\n";
  int to_child[2];
  int from_child[2];
  ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_child, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    ::execl("/usr/bin/setpriv", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/python3", "-c", script.c_str(), (home_ + "/agent.sock").c_str(), nullptr);
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  FILE* out = ::fdopen(from_child[0], "r");
  char line[128] = {};
  ASSERT_NE(std::fgets(line, sizeof line, out), nullptr);
  EXPECT_STREQ(line, "connected\n");
  // While all 200 are open on the client's side, the agent holds at most 2 x 32 for them.
  EXPECT_LE(agent_fds() - before, 2 * 32 + 8);
  EXPECT_EQ(Ctl({"ls"}).exit_code, 0);
  ASSERT_NE(std::fgets(line, sizeof line, out), nullptr);
  EXPECT_STREQ(line, "closed 200\n");  // every one closed by the agent, none left hanging
  ::close(to_child[1]);
  std::fclose(out);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LE(agent_fds() - before, 8);
}

}  // namespace
}  // namespace corral::testing
