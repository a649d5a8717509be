// inetd mode through the whole path, as a user runs it: corralctl start --protocol exec ->
// corral-agent -> corral-server -> a shell script per connection.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "base/unique_fd.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

// Says its pid (its process group), then answers one line.
constexpr char kScript[] = R"(#!/bin/sh
echo $$
IFS= read -r line
echo "reply:$line:$REMOTE_ADDR"
)";

class ExecAgentTest : public AgentTest {
 protected:
  std::string WriteScript() {
    std::string path = home_ + "/reply.sh";
    std::ofstream(path) << kScript;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
  }
};

// Reads what the blocking socket `fd` sends up to its end.
std::string ReadToEnd(int fd) {
  std::string got;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) got.append(buffer, static_cast<size_t>(n));
  return got;
}

TEST_F(ExecAgentTest, CtlStartsAnInetdServerUnderEveryModel) {
  const std::string script = WriteScript();
  const std::vector<std::vector<std::string>> models = {{"--model", "fork"},
                                                        {"--model", "fork", "--pool-size", "2"},
                                                        {"--model", "thread"},
                                                        {"--model", "thread", "--pool-size", "2"},
                                                        {"--model", "coroutine", "--hubs", "1"}};
  int index = 0;
  for (const std::vector<std::string>& model : models) {
    const std::string name = "inetd" + std::to_string(index++);
    std::vector<std::string> args = {"start",  name,   "--protocol", "exec",
                                     "--exec", script, "--listen",   "127.0.0.1:0"};
    args.insert(args.end(), model.begin(), model.end());
    CommandResult start = Ctl(args);
    ASSERT_EQ(start.exit_code, 0) << start.err;
    absl::StatusOr<v1::Server> server = Get(name);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ(server->spec().exec_argv(0), script);

    base::UniqueFd fd = ConnectTcp(server->bound_address());
    ASSERT_TRUE(fd);
    int flags = ::fcntl(fd.get(), F_GETFL);
    ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    ASSERT_EQ(::write(fd.get(), "hi\n", 3), 3);
    std::string reply = ReadToEnd(fd.get());
    size_t newline = reply.find('\n');
    ASSERT_NE(newline, std::string::npos) << model[1] << ": " << reply;
    EXPECT_EQ(reply.substr(newline + 1), "reply:hi:127.0.0.1\n") << model[1];

    CommandResult stop = Ctl({"stop", name});
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
  }
}

TEST_F(ExecAgentTest, StopLeavesNoProgramBehind) {
  CommandResult start = Ctl({"start", "inetd", "--protocol", "exec", "--exec", WriteScript(),
                             "--listen", "127.0.0.1:0", "--stop-timeout-ms", "1000"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  absl::StatusOr<v1::Server> server = Get("inetd");
  ASSERT_TRUE(server.ok()) << server.status();
  base::UniqueFd fd = ConnectTcp(server->bound_address());
  ASSERT_TRUE(fd);
  int flags = ::fcntl(fd.get(), F_GETFL);
  ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  std::string line;
  for (char c = 0; ::read(fd.get(), &c, 1) == 1 && c != '\n';) line.push_back(c);
  int group = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line, &group)) << line;
  ASSERT_FALSE(ProcessGroupMembers(group).empty());
  CommandResult stop = Ctl({"stop", "inetd"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_TRUE(WaitFor([&] { return ProcessGroupMembers(group).empty(); }))
      << "the connection's program outlived its server";
}

TEST_F(ExecAgentTest, MissingProgramIsRefusedAtStartInExecvesWords) {
  CommandResult start = Ctl({"start", "inetd", "--protocol", "exec", "--exec",
                             "python4-corral-test", "--listen", "127.0.0.1:0"});
  EXPECT_NE(start.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(start.err, "exec python4-corral-test: No such file or directory"))
      << start.err;
}

// The program is gone when the server next starts: the server refuses to start (exit 78), and
// the agent shows FAILED with the reason instead of restarting it again and again.
TEST_F(ExecAgentTest, ProgramGoneAtRestartEndsFailedWithTheReason) {
  const std::string script = WriteScript();
  CommandResult start =
      Ctl({"start", "inetd", "--protocol", "exec", "--exec", script, "--listen", "127.0.0.1:0"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  std::filesystem::remove(script);
  Ctl({"restart", "inetd"});
  v1::Server server =
      WaitUntil("inetd", [](const v1::Server& s) { return s.state() == v1::STATE_FAILED; });
  EXPECT_EQ(server.state(), v1::STATE_FAILED);
  EXPECT_TRUE(absl::StrContains(server.reason(), "exec " + script + ": No such file or directory"))
      << server.reason();
}

}  // namespace
}  // namespace corral::testing
