// The exec protocol (inetd mode) through real corral-server processes under every model: a
// shell script per connection, with the connection on its stdin and stdout.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/numbers.h"
#include "servers/stats/scoreboard_reader.h"
#include "tests/servers/models/model_cases.h"
#include "tests/servers/protocols/exec/exec_client.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

// Replies to one line with the line and the client's address; a line "fail" makes it exit 3.
constexpr char kReplyScript[] = R"(IFS= read -r line
echo "reply:$line:$REMOTE_ADDR:$TCPREMOTEIP"
[ "$line" = fail ] && exit 3
exit 0
)";

// Says its pid (its process group's number), then runs a child in its group for ever.
constexpr char kHangScript[] = R"(echo $$
sleep 1000
)";

// The same, deaf to SIGTERM: only SIGKILL ends it (and its children, which inherit the deafness).
constexpr char kDeafScript[] = R"(trap '' TERM
echo $$
while :; do sleep 1; done
)";

// Says its pid, then waits for a line.
constexpr char kWaitScript[] = R"(echo $$
IFS= read -r line
echo "done:$line"
)";

class ExecModelsTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  std::vector<std::string> Args(const std::string& script, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--protocol",  "exec",   "--listen",
                                     "127.0.0.1:0", "--exec", script};
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  stats::Snapshot ReadScoreboard() {
    absl::StatusOr<stats::ScoreboardReader> reader = stats::ScoreboardReader::Open(Scoreboard());
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return stats::Snapshot();
    absl::StatusOr<stats::Snapshot> snapshot = reader->Read();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? *std::move(snapshot) : stats::Snapshot();
  }
  std::string Scoreboard() const { return scripts_.path() + "/scoreboard"; }

  ScriptDir scripts_;
};

pid_t ParsePid(const std::string& line) {
  int pid = 0;
  return absl::SimpleAtoi(line, &pid) ? pid : 0;
}

TEST_P(ExecModelsTest, ScriptReadsALineAndRepliesThenTheConnectionEnds) {
  ServerProcess server(Args(scripts_.Write("reply.sh", kReplyScript),
                            {"--scoreboard", Scoreboard(), "--max-connections-per-client", "0"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  constexpr int kClients = 8;
  std::vector<std::string> replies(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      base::UniqueFd fd = ConnectTcp(server.detail());
      if (!fd) return;
      bool closed = false;
      std::string line = c == 0 ? "fail" : "hello " + std::to_string(c);
      std::string reply = SendAndReadToEnd(fd.get(), line + "\n", &closed);
      if (closed) replies[c] = reply;
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(replies[0], "reply:fail:127.0.0.1:127.0.0.1\n");
  for (int c = 1; c < kClients; ++c) {
    EXPECT_EQ(replies[c], "reply:hello " + std::to_string(c) + ":127.0.0.1:127.0.0.1\n");
  }

  ASSERT_NE(server.SignalAndWait(SIGTERM), -1);
  stats::Snapshot snapshot = ReadScoreboard();
  EXPECT_EQ(snapshot.protocol, "exec");
  EXPECT_EQ(snapshot.totals.accepted, kClients);
  EXPECT_EQ(snapshot.totals.closed, kClients);
  // One run of the program is one request, timed from spawn to exit.
  EXPECT_EQ(snapshot.totals.requests, kClients);
  EXPECT_EQ(snapshot.latency.count, kClients);
  EXPECT_EQ(snapshot.totals.error(stats::ErrorKind::kProtocol), 1) << "the one exit 3";
}

// Many short runs at once: each program's wait must end with its own exit, whatever else the
// worker's hub sees meanwhile (under coroutine, a descriptor number reused while a spawned
// child or a program still held the old file once woke a pidfd's waiter early, and the
// program was killed mid-reply).
TEST_P(ExecModelsTest, ManyConcurrentShortRunsAllReply) {
  ServerProcess server(Args(scripts_.Write("reply.sh", kReplyScript),
                            {"--scoreboard", Scoreboard(), "--max-connections-per-client", "0"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  constexpr int kClients = 8, kRunsEach = 75;
  std::atomic<int> replied{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < kRunsEach; ++i) {
        base::UniqueFd fd = ConnectTcp(server.detail());
        if (!fd) return;
        bool closed = false;
        if (SendAndReadToEnd(fd.get(), "x\n", &closed) != "reply:x:127.0.0.1:127.0.0.1\n" ||
            !closed) {
          return;
        }
        ++replied;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(replied.load(), kClients * kRunsEach);
  ASSERT_NE(server.SignalAndWait(SIGTERM), -1);
  stats::Snapshot snapshot = ReadScoreboard();
  EXPECT_EQ(snapshot.totals.requests, kClients * kRunsEach);
  EXPECT_EQ(snapshot.totals.total_errors(), 0);
}

TEST_P(ExecModelsTest, LifetimeEndsAProgramThatNeverExitsAndItsChildren) {
  ServerProcess server(Args(scripts_.Write("hang.sh", kHangScript),
                            {"--idle-timeout-ms", "300", "--scoreboard", Scoreboard()}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  pid_t group = ParsePid(ReadLine(fd.get()));
  ASSERT_GT(group, 0);
  bool closed = false;
  SendAndReadToEnd(fd.get(), "", &closed);
  EXPECT_TRUE(closed) << "the connection outlived the program's lifetime";
  EXPECT_TRUE(GroupGone(group)) << "the program's sleep survived it";
  ASSERT_NE(server.SignalAndWait(SIGTERM), -1);
  EXPECT_EQ(ReadScoreboard().totals.error(stats::ErrorKind::kTimeout), 1);
}

// A child the program leaves running in the background would hold the connection open (it
// has a copy of stdout): when the program exits, its process group goes with it.
TEST_P(ExecModelsTest, BackgroundChildDoesNotOutliveTheProgram) {
  ServerProcess server(Args(scripts_.Write("background.sh", "sleep 1000 &\necho $$\n")));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  bool closed = false;
  std::string said = SendAndReadToEnd(fd.get(), "", &closed);
  EXPECT_TRUE(closed) << "the background sleep kept the connection open";
  pid_t group = ParsePid(said.substr(0, said.find('\n')));
  ASSERT_GT(group, 0) << said;
  EXPECT_TRUE(GroupGone(group));
}

TEST_P(ExecModelsTest, StopEndsProgramsDeafToSigtermAndLeavesNoOrphan) {
  ServerProcess server(Args(scripts_.Write("deaf.sh", kDeafScript), {"--stop-timeout-ms", "1000"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  pid_t group = ParsePid(ReadLine(fd.get()));
  ASSERT_GT(group, 0);
  int status = server.SignalAndWait(SIGTERM);
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
  EXPECT_TRUE(GroupGone(group)) << "the program outlived the server";
}

TEST_P(ExecModelsTest, StopSendsSigtermToRunningPrograms) {
  // 60 s of drain: only the SIGTERM can end the program before the test's 20 s wait does.
  ServerProcess server(
      Args(scripts_.Write("hang.sh", kHangScript), {"--stop-timeout-ms", "60000"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  pid_t group = ParsePid(ReadLine(fd.get()));
  ASSERT_GT(group, 0);
  ASSERT_NE(server.SignalAndWait(SIGTERM), -1);
  EXPECT_TRUE(GroupGone(group));
}

TEST_P(ExecModelsTest, PerClientCapRefusesAProgramBeyondIt) {
  ServerProcess server(
      Args(scripts_.Write("wait.sh", kWaitScript), {"--max-connections-per-client", "1"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd first = ConnectTcp(server.detail());
  ASSERT_TRUE(first);
  ASSERT_GT(ParsePid(ReadLine(first.get())), 0) << "the first program did not start";
  base::UniqueFd second = ConnectTcp(server.detail());
  ASSERT_TRUE(second);
  bool closed = false;
  EXPECT_EQ(SendAndReadToEnd(second.get(), "", &closed), "") << "a second program ran";
  EXPECT_TRUE(closed);
  EXPECT_EQ(SendAndReadToEnd(first.get(), "x\n", &closed), "done:x\n");
  EXPECT_TRUE(closed);
}

TEST_P(ExecModelsTest, LifetimeEndsAProgramDeafToSigtermWithSigkill) {
  ServerProcess server(Args(scripts_.Write("deaf.sh", kDeafScript), {"--idle-timeout-ms", "300"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  pid_t group = ParsePid(ReadLine(fd.get()));
  ASSERT_GT(group, 0);
  bool closed = false;
  SendAndReadToEnd(fd.get(), "", &closed);
  EXPECT_TRUE(closed) << "the connection outlived the program's lifetime";
  EXPECT_TRUE(GroupGone(group));
}

// At --max-workers 1 a second client's program starts only once the first's has ended: each
// run logs its start and end to one file, and the two runs must not overlap.
// A pool runs here with --pool-size 1 (a pool of 4 cannot have a cap of 1), and the coroutine
// model with one hub (each hub serves max(1, max_workers / hubs), so 2 hubs cannot cap at 1).
TEST_P(ExecModelsTest, MaxWorkersBoundsTheProgramsRunningAtOnce) {
  const std::string log = scripts_.path() + "/runs";
  std::vector<std::string> args =
      Args(scripts_.Write("logged.sh", "echo start >> " + log + "\n" + kWaitScript +
                                           "echo end >> " + log + "\n"),
           {"--max-workers", "1", "--max-connections-per-client", "0"});
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--pool-size" || args[i] == "--hubs") args[i + 1] = "1";
  }
  ServerProcess server(args);
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd first = ConnectTcp(server.detail());
  ASSERT_TRUE(first);
  ASSERT_GT(ParsePid(ReadLine(first.get())), 0);
  base::UniqueFd second = ConnectTcp(server.detail());  // waits in the backlog
  ASSERT_TRUE(second);
  bool closed = false;
  EXPECT_EQ(SendAndReadToEnd(first.get(), "a\n", &closed), "done:a\n");
  ASSERT_GT(ParsePid(ReadLine(second.get())), 0);
  EXPECT_EQ(SendAndReadToEnd(second.get(), "b\n", &closed), "done:b\n");
  std::ifstream runs(log);
  std::string text((std::istreambuf_iterator<char>(runs)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "start\nend\nstart\nend\n");
}

INSTANTIATE_TEST_SUITE_P(AllModels, ExecModelsTest, ::testing::ValuesIn(AllModels()),
                         ModelCaseName);

// Refused as the server starts, with execve's words and the bad-configuration exit, not at the
// first connection.
TEST(ExecStartTest, MissingProgramFailsTheStart) {
  ServerProcess server(
      {"--protocol", "exec", "--listen", "127.0.0.1:0", "--exec", "/nonexistent/corral-exec-test"});
  EXPECT_FALSE(server.ready());
  EXPECT_EQ(server.detail(), "exec /nonexistent/corral-exec-test: No such file or directory");
  int status = server.SignalAndWait(0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 78) << "wait status " << status;
}

TEST(ExecStartTest, ProgramNotExecutableFailsTheStart) {
  ScriptDir scripts;
  std::string script = scripts.Write("plain.sh", kReplyScript, /*executable=*/false);
  ServerProcess server({"--protocol", "exec", "--listen", "127.0.0.1:0", "--exec", script});
  EXPECT_FALSE(server.ready());
  EXPECT_EQ(server.detail(), "exec " + script + ": Permission denied");
}

TEST(ExecStartTest, ProgramIsFoundOnPathAndGetsItsArguments) {
  // sh from PATH, with -c and a script as arguments.
  ServerProcess server({"--protocol", "exec", "--listen", "127.0.0.1:0", "--exec", "sh",
                        "--exec-arg", "-c", "--exec-arg", "echo \"$0:$1\"", "--exec-arg", "one",
                        "--exec-arg", "two"});
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  bool closed = false;
  EXPECT_EQ(SendAndReadToEnd(fd.get(), "", &closed), "one:two\n");
  EXPECT_TRUE(closed);
}

// The program gets the connection and the server's stderr, nothing else the server holds or
// inherited (its readiness pipe, a supervisor's descriptors): ls sees only those and its own
// directory descriptor.
TEST(ExecStartTest, ProgramInheritsOnlyItsStdio) {
  ServerProcess server({"--protocol", "exec", "--listen", "127.0.0.1:0", "--exec", "ls",
                        "--exec-arg", "/proc/self/fd"});
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  bool closed = false;
  EXPECT_EQ(SendAndReadToEnd(fd.get(), "", &closed), "0\n1\n2\n3\n");
}

}  // namespace
}  // namespace corral::testing
