// corral-agent --daemon through the real binaries: the parent's exit status says whether the
// agent came up, the daemon runs in a session of its own with a pid file and a log file, SIGHUP
// reopens the log instead of ending the agent, and a second daemon on the same home is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/file_text.h"
#include "tests/support/server_process.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-daemon-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    home_ = pattern;
  }
  void TearDown() override {
    // The daemon is not this test's child: it is ended by the pid it wrote (ours alone).
    if (pid_ > 0 && ProcessAlive(pid_)) {
      ::kill(pid_, SIGTERM);
      if (!WaitFor([&] { return !ProcessAlive(pid_); })) ::kill(pid_, SIGKILL);
    }
    if (HasFailure()) std::cerr << "--- agent.log ---\n" << FileText(home_ + "/agent.log");
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }

  CommandResult StartDaemon() {
    std::vector<std::string> argv = {BinaryPath("corral-agent"), "--daemon", "--home", home_,
                                     "--stop-servers-on-exit"};
    return RunCommand(argv);
  }
  pid_t PidFromFile() {
    int pid = 0;
    std::string text = FileText(home_ + "/agent.pid");
    return absl::SimpleAtoi(absl::StripSuffix(text, "\n"), &pid) ? pid : -1;
  }
  CommandResult Ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinaryPath("corralctl"), "--agent",
                                     "unix:" + home_ + "/agent.sock"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  std::string home_;
  pid_t pid_ = -1;
};

TEST_F(DaemonTest, DetachesServesAndSurvivesSighupReopeningItsLog) {
  CommandResult started = StartDaemon();
  pid_ = PidFromFile();
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_TRUE(absl::StrContains(started.out, "serving on unix:" + home_ + "/agent.sock"))
      << started.out;
  // Serving when the parent exits: no waiting for a socket.
  CommandResult ls = Ctl({"ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  ASSERT_GT(pid_, 0);
  EXPECT_TRUE(ProcessAlive(pid_));
  EXPECT_EQ(::getsid(pid_), pid_) << "the daemon leads a session of its own";
  EXPECT_NE(::getsid(pid_), ::getsid(0));

  // Its log: one timestamp per line, then the level.
  std::string log = FileText(home_ + "/agent.log");
  EXPECT_TRUE(absl::StrContains(log, "Z [info] corral-agent ")) << log;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(log, '\n', absl::SkipEmpty()))) {
    EXPECT_FALSE(absl::StrContains(line.substr(20), "[20")) << "two timestamps: " << line;
  }

  // logrotate: move the file, then SIGHUP. The agent stays up and writes a new file.
  std::filesystem::rename(home_ + "/agent.log", home_ + "/agent.log.1");
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] {
    return absl::StrContains(FileText(home_ + "/agent.log"), "reopened");
  })) << "no new agent.log after SIGHUP";
  EXPECT_TRUE(absl::StrContains(FileText(home_ + "/agent.log.1"), "SIGHUP: reopening the log"));
  EXPECT_TRUE(ProcessAlive(pid_));
  EXPECT_EQ(Ctl({"ls"}).exit_code, 0);

  // A second daemon on the same home: refused, with the reason, by the parent's exit status.
  CommandResult second = StartDaemon();
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(second.err, "corral-agent: another corral-agent (pid " +
                                                std::to_string(pid_) + ") already runs in"))
      << second.err;
  EXPECT_EQ(PidFromFile(), pid_) << "the refused agent left the pid file alone";

  // SIGTERM: it exits and removes its pid file.
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid_); }));
  EXPECT_FALSE(std::filesystem::exists(home_ + "/agent.pid"));
}

TEST_F(DaemonTest, ReplacesAStalePidFile) {
  std::ofstream(home_ + "/agent.pid") << "999999999\n";
  ASSERT_EQ(::chmod(home_.c_str(), 0700), 0);
  CommandResult started = StartDaemon();
  pid_ = PidFromFile();
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(pid_, 999999999);
  EXPECT_TRUE(ProcessAlive(pid_));
  EXPECT_TRUE(absl::StrContains(FileText(home_ + "/agent.log"), "replaced the stale pid file"));
}

TEST_F(DaemonTest, ParentExitsOneWithTheErrorWhenTheAgentCannotStart) {
  CommandResult started = RunCommand({BinaryPath("corral-agent"), "--daemon", "--home", home_,
                                      "--server-binary", "/nonexistent/corral-server"});
  pid_ = PidFromFile();
  EXPECT_EQ(started.exit_code, 1);
  EXPECT_TRUE(
      absl::StrContains(started.err, "corral-agent: find binary /nonexistent/corral-server"))
      << started.err;
  EXPECT_TRUE(absl::StrContains(FileText(home_ + "/agent.log"), "find binary")) << "logged too";
}

TEST_F(DaemonTest, ForegroundAgentLogsToStderrAndIgnoresSighup) {
  const std::string out = home_ + "/foreground.out", err = home_ + "/foreground.err";
  // exec: the shell's pid is the agent's.
  ServerProcess agent({"/bin/sh", "-c",
                       "exec '" + BinaryPath("corral-agent") + "' --home '" + home_ + "' >'" + out +
                           "' 2>'" + err + "'"},
                      ProcessOptions{.stop_signal = SIGTERM});
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(FileText(err), "listening on unix:"); }))
      << "stdout: " << FileText(out);
  ASSERT_EQ(::kill(agent.pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return absl::StrContains(FileText(err), "SIGHUP"); }));
  EXPECT_FALSE(agent.Exited());
  EXPECT_EQ(Ctl({"ls"}).exit_code, 0);
  EXPECT_EQ(FileText(out), "");
}

}  // namespace
}  // namespace corral::testing
