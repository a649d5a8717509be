// The command line as a user meets it in the first hour (issue 28 items 4, 5, 8): typos get a
// suggestion, help and --version answer, --json goes anywhere, stop/restart/rm take several
// names, messages name the flags typed, and Ctrl-C exits 130. Each message is asserted by its
// text, through the real binaries.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using CliTest = AgentTest;

// The address in `corralctl start`'s "RUNNING on ADDRESS", or "".
std::string BoundAddress(const CommandResult& start) {
  std::smatch m;
  std::regex_search(start.out, m, std::regex(R"(RUNNING on (\S+))"));
  return m.empty() ? "" : m[1].str();
}

TEST_F(CliTest, UnknownCommandSuggestsTheClosest) {
  CommandResult lss = Ctl({"lss"});
  EXPECT_EQ(lss.exit_code, 2);
  EXPECT_EQ(lss.err, "corralctl: unknown command \"lss\"; did you mean \"ls\"?\n");
  CommandResult stat = Ctl({"stat"});
  EXPECT_EQ(stat.err, "corralctl: unknown command \"stat\"; did you mean \"stats\"?\n");
  CommandResult far = Ctl({"xyzzy"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_EQ(far.err, "corralctl: unknown command \"xyzzy\"; `corralctl help` lists the commands\n");
  // Not the main help with 0.
  CommandResult help = Ctl({"nosuch", "--help"});
  EXPECT_EQ(help.exit_code, 2);
  EXPECT_EQ(help.out, "");
  EXPECT_EQ(help.err,
            "corralctl: unknown command \"nosuch\"; `corralctl help` lists the commands\n");
}

TEST_F(CliTest, UnknownFlagSuggestsTheClosest) {
  CommandResult ls = Ctl({"ls", "--jsno"});
  EXPECT_EQ(ls.exit_code, 2);
  EXPECT_EQ(ls.err, "corralctl: ls: unknown flag \"--jsno\"; did you mean \"--json\"?\n");
  CommandResult start = Ctl({"start", "w", "--max-worker", "3"});
  EXPECT_EQ(start.exit_code, 2);
  EXPECT_EQ(start.err,
            "corralctl: start: unknown flag \"--max-worker\"; did you mean \"--max-workers\"?\n");
  CommandResult watch = Ctl({"watch", "-i", "50"});
  EXPECT_EQ(watch.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(watch.err, "corralctl: watch: --interval-ms: ")) << watch.err;
  CommandResult v = RunCommand({BinaryPath("corralctl"), "-v"});
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_EQ(v.err, "corralctl: unknown flag \"-v\"; did you mean \"-V\"?\n");
}

TEST_F(CliTest, HelpAndHelpCommand) {
  CommandResult help = Ctl({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_TRUE(absl::StrContains(help.out, "Usage: corralctl [OPTIONS] SUBCOMMAND")) << help.out;
  EXPECT_TRUE(absl::StrContains(help.out, "130  interrupted by Ctrl-C")) << help.out;
  CommandResult start = Ctl({"help", "start"});
  EXPECT_EQ(start.exit_code, 0) << start.err;
  EXPECT_TRUE(absl::StrContains(start.out, "Usage: corralctl start [OPTIONS] name")) << start.out;
  EXPECT_TRUE(absl::StrContains(start.out, "--pool-size")) << start.out;
}

TEST_F(CliTest, EveryBinaryPrintsTheOneVersion) {
  std::vector<std::string> binaries = {"corralctl", "corral-agent", "corral-server", "corral-file"};
#ifdef CORRAL_WITH_LOAD
  binaries.push_back("corral-load");  // built with bench/ only
#endif
  for (const std::string& binary : binaries) {
    for (const std::string flag : {"--version", "-V"}) {
      CommandResult run = RunCommand({BinaryPath(binary), flag});
      EXPECT_EQ(run.exit_code, 0) << binary << " " << flag << ": " << run.err;
      EXPECT_EQ(run.out, binary + " " + CORRAL_VERSION + "\n") << binary << " " << flag;
    }
  }
}

TEST_F(CliTest, JsonAnywhereOnTheLine) {
  ASSERT_EQ(Ctl({"start", "echo"}).exit_code, 0);
  for (const std::vector<std::string>& line :
       std::vector<std::vector<std::string>>{{"--json", "ls"},
                                             {"ls", "--json"},
                                             {"get", "echo", "--json"},
                                             {"get", "--json", "echo"}}) {
    CommandResult run = Ctl(line);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_TRUE(absl::StrContains(run.out, "\"name\": \"echo\"")) << run.out;
  }
}

TEST_F(CliTest, StopRestartRmTakeSeveralNamesAndAll) {
  for (const std::string name : {"a", "b", "c"}) ASSERT_EQ(Ctl({"start", name}).exit_code, 0);
  CommandResult stop = Ctl({"stop", "a", "b"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(stop.out, "stopped \"a\": STOPPED\nstopped \"b\": STOPPED\n");
  CommandResult restart = Ctl({"restart", "--all"});
  EXPECT_EQ(restart.exit_code, 0) << restart.err;
  EXPECT_EQ(std::count(restart.out.begin(), restart.out.end(), '\n'), 3) << restart.out;
  // One unknown name fails the command (3) but not the others.
  CommandResult rm = Ctl({"remove", "a", "ghost", "b"});
  EXPECT_EQ(rm.exit_code, 3);
  EXPECT_EQ(rm.out, "removed \"a\"\nremoved \"b\"\n");
  ASSERT_EQ(Ctl({"rm", "--all"}).exit_code, 0);
  EXPECT_EQ(Get("c").status().code(), absl::StatusCode::kNotFound);
  CommandResult neither = Ctl({"stop"});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_EQ(neither.err, "corralctl: stop: give server names or --all\n");
}

TEST_F(CliTest, MessagesNameTheFlagsTyped) {
  CommandResult start = Ctl({"start", "w", "--model", "coroutine", "--pool-size", "2"});
  EXPECT_EQ(start.exit_code, 2);
  EXPECT_EQ(start.err,
            "corralctl: start \"w\": --pool-size applies to the fork and thread models; use hubs "
            "for coroutine\n");
  CommandResult server =
      RunCommand({BinaryPath("corral-server"), "--model", "coroutine", "--pool-size", "2"});
  EXPECT_EQ(server.exit_code, 78);
  EXPECT_TRUE(absl::StrContains(server.err, "cannot start: --pool-size applies to the fork"))
      << server.err;
}

TEST_F(CliTest, ListenTakesHostNamesAndBarePorts) {
  CommandResult named = Ctl({"start", "named", "-l", "localhost:0"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  const std::string address = BoundAddress(named);
  EXPECT_TRUE(absl::StartsWith(address, "127.0.0.1:") || absl::StartsWith(address, "[::1]:"))
      << named.out;
  EXPECT_EQ(EchoOnce(address, "hi"), "hi");
  CommandResult bare = Ctl({"start", "bare", "-l", "0"});
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_TRUE(absl::StartsWith(BoundAddress(bare), "127.0.0.1:")) << bare.out;
}

TEST_F(CliTest, StopSaysWhatItWaitsFor) {
  CommandResult start = Ctl({"start", "echo"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  base::UniqueFd client = ConnectTcp(BoundAddress(start));
  ASSERT_TRUE(client.valid());
  ASSERT_EQ(EchoOn(client.get(), "held"), "held");  // accepted and served: one live connection
  CommandResult stop = Ctl({"stop", "echo", "--timeout", "2"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(stop.err, "stopping \"echo\": draining 1 connection, up to 1.6 s\n");
  EXPECT_EQ(stop.out, "stopped \"echo\": STOPPED\n");
}

// The following commands end with 130 on Ctrl-C, as the exit-code table says.
TEST_F(CliTest, CtrlCExits130) {
  ASSERT_EQ(Ctl({"start", "echo"}).exit_code, 0);
  const std::vector<std::vector<std::string>> lines = {
      {"watch", "-i", "100"}, {"logs", "-f", "echo"}, {"top", "-i", "100"}};
  for (const std::vector<std::string>& line : lines) {
    const std::string out = home_ + "/" + line[0] + ".out";
    std::vector<std::string> argv = {BinaryPath("corralctl"), "--agent", socket_address()};
    argv.insert(argv.end(), line.begin(), line.end());
    ServerProcess ctl(argv, ProcessOptions{.log_path = out});
    // Output shows the command runs (and has its handler).
    ASSERT_TRUE(WaitFor([&] { return std::filesystem::file_size(out) > 0 || ctl.Exited(); }));
    ASSERT_FALSE(ctl.Exited()) << line[0];
    const int status = ctl.SignalAndWait(SIGINT);
    ASSERT_TRUE(WIFEXITED(status)) << line[0] << ": status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 130) << line[0];
  }
}

// Item 5: what the server really uses, not 0.
TEST_F(CliTest, GetShowsEffectiveValues) {
  const std::string root = home_ + "/files";
  std::filesystem::create_directory(root);
  ASSERT_EQ(
      Ctl({"start", "f", "--protocol", "file", "--root", root, "--model", "coroutine"}).exit_code,
      0);
  CommandResult json = Ctl({"get", "f", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(absl::StrContains(json.out, "\"maxUploadBytes\": \"1073741824\"")) << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, "\"maxWorkers\": 1024")) << json.out;
  EXPECT_TRUE(absl::StrContains(
      json.out, "\"hubs\": " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + ","))
      << json.out;
}

// Item 8: errors on stderr; corral-file's `get F -` and options after the address.
TEST_F(CliTest, ServerErrorsGoToStderr) {
  CommandResult server = RunCommand({BinaryPath("corral-server"), "--protocol", "bogus"});
  EXPECT_EQ(server.exit_code, 78);
  EXPECT_EQ(server.out, "");
  EXPECT_TRUE(absl::StrContains(server.err, "cannot start: unknown protocol \"bogus\""))
      << server.err;
}

TEST_F(CliTest, CorralFileGetToStdoutAndOptionsAfterTheCommand) {
  const std::string root = home_ + "/files";
  std::filesystem::create_directory(root);
  std::ofstream(root + "/hello.txt") << "hello, pipe\n";
  CommandResult start = Ctl({"start", "f", "--protocol", "file", "--root", root});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string address = BoundAddress(start);
  CommandResult get = RunCommand(
      {BinaryPath("corral-file"), address, "get", "hello.txt", "-", "--timeout-ms", "20000"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "hello, pipe\n");
  EXPECT_FALSE(std::filesystem::exists("-"));
  CommandResult ls =
      RunCommand({BinaryPath("corral-file"), address, "ls", "--timeout-ms", "20000"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(absl::StrContains(ls.out, "hello.txt")) << ls.out;
}

TEST_F(CliTest, PythonExamplePrintsTheAgentsMessage) {
  ASSERT_EQ(Ctl({"start", "py-echo"}).exit_code, 0);  // the example's name, taken
  CommandResult run = RunCommand(
      {"/usr/bin/env", std::string("PYTHONPATH=") + CORRAL_PYTHON_DIR, "/usr/bin/python3",
       std::string(CORRAL_SOURCE_DIR) + "/examples/python/corral_example.py", "--agent",
       socket_address()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "corral_example: a server with this name already exists; restart it, or remove it "
            "first with `corralctl rm` (ALREADY_EXISTS)\n");
}

}  // namespace
}  // namespace corral::testing
