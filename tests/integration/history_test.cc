// Logs and history through the real binaries: `rm` deletes the server's directory (unless
// --keep-logs), `events -n N` prints the agent's past events, an http server writes one access
// line per request (none with --no-access-log), and every server log line has one timestamp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/file_text.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

class HistoryTest : public AgentTest {
 protected:
  std::string ServerDir(const std::string& name) { return home_ + "/servers/" + name; }
  // Starts an http server serving home_/www on a free port; returns its address.
  std::string StartHttp(const std::string& name, const std::vector<std::string>& extra = {}) {
    std::filesystem::create_directories(home_ + "/www");
    std::vector<std::string> args = {"start",  name,     "-p",           "http", "-m",
                                     "thread", "--root", home_ + "/www", "-l",   "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult started = Ctl(args);
    EXPECT_EQ(started.exit_code, 0) << started.err;
    absl::StatusOr<v1::Server> server = Get(name);
    return server.ok() ? server->bound_address() : "";
  }
};

TEST_F(HistoryTest, RmDeletesTheServersDirectoryUnlessKeepLogs) {
  ASSERT_TRUE(StartEcho("a", "127.0.0.1:0", nullptr).ok());
  // The agent made the directory; the logger makes the log at its first line, maybe later.
  ASSERT_TRUE(std::filesystem::is_directory(ServerDir("a")));
  std::ofstream(ServerDir("a") + "/log", std::ios::app) << "old server's line\n";
  CommandResult removed = Ctl({"rm", "a"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(std::filesystem::exists(ServerDir("a")));

  // A new server of the same name starts with a log of its own.
  ASSERT_TRUE(StartEcho("a", "127.0.0.1:0", nullptr).ok());
  CommandResult logs = Ctl({"logs", "a", "-n", "1000"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_FALSE(absl::StrContains(logs.out, "old server's line")) << logs.out;

  std::ofstream(ServerDir("a") + "/log", std::ios::app) << "second server's line\n";
  CommandResult kept = Ctl({"rm", "--keep-logs", "a"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  std::ifstream log(ServerDir("a") + "/log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_TRUE(absl::StrContains(text.str(), "second server's line"));
}

TEST_F(HistoryTest, EventsPrintsThePastBeforeFollowing) {
  ASSERT_TRUE(StartEcho("a", "127.0.0.1:0", nullptr).ok());
  ASSERT_TRUE(StartEcho("b", "127.0.0.1:0", nullptr).ok());
  ASSERT_EQ(Ctl({"stop", "a"}).exit_code, 0);

  CommandResult all = Ctl({"events", "-n", "1000", "--no-follow"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::vector<std::string> lines = absl::StrSplit(all.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 5u) << all.out;  // a: STARTED READY STOPPED..., b: STARTED READY
  EXPECT_TRUE(absl::StrContains(lines.front(), "  a  STARTED")) << all.out;
  EXPECT_TRUE(absl::StrContains(lines.back(), "  a  STOPPED")) << all.out;

  CommandResult last = Ctl({"events", "b", "-n", "1", "--no-follow"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_TRUE(absl::StrContains(last.out, "  b  READY")) << last.out;
  EXPECT_EQ(std::count(last.out.begin(), last.out.end(), '\n'), 1) << last.out;

  // The history of a removed server is still there; an unknown name is still NOT_FOUND.
  ASSERT_EQ(Ctl({"rm", "a"}).exit_code, 0);
  CommandResult removed = Ctl({"events", "a", "-n", "1", "--no-follow"});
  EXPECT_TRUE(absl::StrContains(removed.out, "  a  REMOVED")) << removed.out << removed.err;
  CommandResult unknown = Ctl({"events", "nosuch", "-n", "5", "--no-follow"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(unknown.err, "nosuch")) << unknown.err;
}

TEST_F(HistoryTest, HttpWritesOneAccessLinePerRequestWithOneTimestamp) {
  std::filesystem::create_directories(home_ + "/www");
  std::ofstream(home_ + "/www/hello.txt") << "hello\n";
  const std::string address = StartHttp("web");
  ASSERT_EQ(HttpGetBody(address, "/hello.txt"), "hello\n");
  ASSERT_EQ(HttpGetBody(address, "/healthz"), "ok\n");
  const std::string log_path = ServerDir("web") + "/log";
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(FileText(log_path), "access GET /healthz"); }))
      << FileText(log_path);
  const std::string log = FileText(log_path);
  // logger's stamp, then the line: one timestamp, spdlog's own is gone.
  const std::regex stamped(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (\[\w+\] |access ).*)");
  int access_lines = 0;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(log, '\n', absl::SkipEmpty()))) {
    EXPECT_TRUE(std::regex_match(line, stamped)) << line;
    EXPECT_FALSE(std::regex_search(line.substr(27), std::regex(R"(\d{4}-\d\d-\d\d)"))) << line;
    if (absl::StrContains(line, " access ")) ++access_lines;
  }
  EXPECT_EQ(access_lines, 2) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(access GET /hello.txt 200 6 \d+us\n)"))) << log;
}

TEST_F(HistoryTest, NoAccessLogWritesNone) {
  const std::string address = StartHttp("quiet", {"--no-access-log"});
  ASSERT_EQ(HttpGetBody(address, "/healthz"), "ok\n");
  // The server's last line comes after any access line would have, through the same pipe.
  ASSERT_EQ(Ctl({"stop", "quiet"}).exit_code, 0);
  const std::string log_path = ServerDir("quiet") + "/log";
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(FileText(log_path), "[info] stopped"); }))
      << FileText(log_path);
  EXPECT_FALSE(absl::StrContains(FileText(log_path), "access")) << FileText(log_path);
}

}  // namespace
}  // namespace corral::testing
