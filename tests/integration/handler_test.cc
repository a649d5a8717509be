// Handler plugins under the agent, as a user runs them: `corralctl start NAME --protocol tcp|udp
// --handler PATH.so [--handler-arg KEY=VALUE] --model M`, then real clients on 127.0.0.1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

std::string Plugin(const std::string& name) {
  return std::string(CORRAL_HANDLER_DIR) + "/" + name + ".so";
}

class HandlerTest : public AgentTest {
 protected:
  // Starts `name` with corralctl and returns its bound address ("" on failure, with the test
  // failed).
  std::string Start(const std::string& name, std::vector<std::string> args) {
    std::vector<std::string> argv = {"start", name, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult start = Ctl(argv);
    std::smatch m;
    if (start.exit_code != 0 ||
        !std::regex_search(start.out, m, std::regex(R"(RUNNING on (127\.0\.0\.1:\d+))"))) {
      ADD_FAILURE() << "start " << name << ": exit " << start.exit_code << "\n"
                    << start.out << start.err;
      return "";
    }
    return m[1];
  }

  // `corralctl --json stats NAME`'s value of `field` (a counter), or -1.
  long long StatsCounter(const std::string& name, const std::string& field) {
    CommandResult stats = Ctl({"--json", "stats", name});
    std::smatch m;
    if (!std::regex_search(stats.out, m, std::regex("\"" + field + "\": \"?(\\d+)"))) return -1;
    return std::stoll(m[1]);
  }
};

// A line-protocol client: sends one line, reads one reply line.
class LineClient {
 public:
  explicit LineClient(const std::string& address) : fd_(ConnectTcp(address)) {}
  bool ok() const { return static_cast<bool>(fd_); }
  std::string Ask(const std::string& line) {
    std::string request = line + "\n";
    if (::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return "<send failed>";
    }
    std::string reply;
    char c;
    bool done = WaitFor([&] {
      for (;;) {
        ssize_t n = ::recv(fd_.get(), &c, 1, 0);
        if (n == 0) return true;
        if (n < 0) return false;
        if (c == '\n') return true;
        reply += c;
      }
    });
    return done ? reply : "<timeout>";
  }

 private:
  base::UniqueFd fd_;
};

class HandlerModelsTest : public HandlerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(HandlerModelsTest, KeyValueStore) {
  const std::string model = GetParam();
  const std::string address = Start("kv", {"--protocol", "tcp", "--model", model, "--handler",
                                           Plugin("kv"), "--handler-arg", "max_keys=2"});
  ASSERT_FALSE(address.empty());
  LineClient a(address), b(address);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.Ask("SET colour deep blue"), "OK");
  EXPECT_EQ(a.Ask("GET colour"), "VALUE deep blue");
  EXPECT_EQ(a.Ask("SET size 3"), "OK");
  EXPECT_EQ(a.Ask("SET third x"), "ERROR full");  // max_keys reached the plugin
  EXPECT_EQ(a.Ask("KEYS"), "KEYS colour size");
  EXPECT_EQ(a.Ask("DEL size"), "DELETED");
  EXPECT_EQ(a.Ask("FROB"), "ERROR unknown request; use GET key, SET key value, DEL key or KEYS");
  EXPECT_EQ(a.Ask("SET big " + std::string(9000, 'x')), "ERROR line too long");
  EXPECT_EQ(a.Ask("GET colour"), "VALUE deep blue");  // the connection goes on after it
  // Shared per process: one store under thread and coroutine; under fork per connection each
  // connection's child has its own.
  EXPECT_EQ(b.Ask("GET colour"), model == "fork" ? "NOT_FOUND" : "VALUE deep blue");

  // ls and get show the handler by its file's stem; stats counts the plugin's own requests
  // and errors.
  CommandResult ls = Ctl({"ls"});
  EXPECT_TRUE(std::regex_search(ls.out, std::regex("kv +RUNNING +tcp\\(kv\\) +" + model)))
      << ls.out;
  EXPECT_TRUE(WaitFor([&] { return StatsCounter("kv", "requests") >= 8; }))
      << Ctl({"--json", "stats", "kv"}).out;
  EXPECT_GE(StatsCounter("kv", "errorsProtocol"), 3);
}

TEST_P(HandlerModelsTest, PlainCUdpHandler) {
  const std::string address =
      Start("upper", {"--protocol", "udp", "--model", GetParam(), "--handler", Plugin("upper"),
                      "--handler-arg", "prefix=> "});
  ASSERT_FALSE(address.empty());
  EXPECT_EQ(UdpRoundTrip(address, "hello, corral"), "> HELLO, CORRAL");
}

TEST_P(HandlerModelsTest, EchoPlugin) {
  const std::string address =
      Start("echo", {"--protocol", "tcp", "--model", GetParam(), "--handler", Plugin("echo")});
  ASSERT_FALSE(address.empty());
  base::UniqueFd fd = ConnectTcp(address);
  ASSERT_TRUE(fd);
  for (int i = 0; i < 20; ++i) {
    std::string message = Pattern(1 + i * 997, i);
    ASSERT_EQ(EchoOn(fd.get(), message), message) << "round trip " << i;
  }
  // The plugin counts nothing itself: the host counts its connection as one request, with its
  // bytes, once serve_stream returns.
  fd.Reset();
  EXPECT_TRUE(WaitFor([&] { return StatsCounter("echo", "requests") == 1; }))
      << Ctl({"--json", "stats", "echo"}).out;
  EXPECT_GT(StatsCounter("echo", "bytesIn"), 20 * 997);
}

INSTANTIATE_TEST_SUITE_P(Models, HandlerModelsTest,
                         ::testing::Values("fork", "thread", "coroutine"));

// Under fork a crashing handler takes down only its process (the connection's child, or one
// pool worker, which the pool replaces): the server and its other connections go on, and the
// crash counts as an error.
class HandlerForkCrashTest : public HandlerTest,
                             public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(HandlerForkCrashTest, CrashKillsOnlyItsProcess) {
  std::vector<std::string> args = {"--protocol", "tcp",       "--model",
                                   "fork",       "--handler", Plugin("test_crash")};
  args.insert(args.end(), GetParam().begin(), GetParam().end());
  const std::string address = Start("crashy", args);
  ASSERT_FALSE(address.empty());
  LineClient survivor(address), victim(address);
  ASSERT_EQ(survivor.Ask("before"), "before");
  EXPECT_EQ(victim.Ask("crash"), "");  // its process died: closed without a reply
  EXPECT_EQ(survivor.Ask("after"), "after");
  LineClient newcomer(address);
  EXPECT_EQ(newcomer.Ask("new"), "new");  // (a pool has replaced its worker)
  EXPECT_TRUE(WaitFor([&] { return StatsCounter("crashy", "errorsProtocol") == 1; }))
      << Ctl({"--json", "stats", "crashy"}).out;
  absl::StatusOr<v1::Server> server = Get("crashy");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->state(), v1::STATE_RUNNING);
  EXPECT_EQ(server->restarts(), 0u);
}

INSTANTIATE_TEST_SUITE_P(PerConnectionAndPool, HandlerForkCrashTest,
                         ::testing::Values(std::vector<std::string>{},
                                           std::vector<std::string>{"--pool-size", "3"}));

class HandlerCrashTest : public HandlerTest, public ::testing::WithParamInterface<std::string> {};

// Under thread and coroutine the crash takes the server's process, and the agent restarts it
// by its policy (the default: always).
TEST_P(HandlerCrashTest, CrashEndsTheServerAndTheAgentRestartsIt) {
  const std::string address = Start(
      "crashy", {"--protocol", "tcp", "--model", GetParam(), "--handler", Plugin("test_crash")});
  ASSERT_FALSE(address.empty());
  LineClient victim(address);
  EXPECT_EQ(victim.Ask("crash"), "");
  v1::Server after = WaitUntil("crashy", [](const v1::Server& s) {
    return s.state() == v1::STATE_RUNNING && s.restarts() == 1;
  });
  EXPECT_EQ(after.restarts(), 1u);
  EXPECT_EQ(after.state(), v1::STATE_RUNNING) << after.reason();
  EXPECT_EQ(after.last_exit().signal(), SIGSEGV);
  LineClient again(after.bound_address());
  EXPECT_EQ(again.Ask("still here"), "still here");
}

INSTANTIATE_TEST_SUITE_P(Models, HandlerCrashTest, ::testing::Values("thread", "coroutine"));

// Where only the spec is at hand (ls, get) a handler shows by its file's stem; stats and top,
// which read the server's scoreboard, show the name the plugin declares ("lines" here).
TEST_F(HandlerTest, ListShowsTheFileStemAndStatsTheDeclaredName) {
  const std::string address =
      Start("named", {"--protocol", "tcp", "--model", "thread", "--handler", Plugin("test_lines")});
  ASSERT_FALSE(address.empty());
  CommandResult ls = Ctl({"ls"});
  EXPECT_TRUE(absl::StrContains(ls.out, "tcp(test_lines)")) << ls.out;
  CommandResult get = Ctl({"get", "named"});
  EXPECT_TRUE(absl::StrContains(get.out, Plugin("test_lines"))) << get.out;
  CommandResult stats;
  EXPECT_TRUE(WaitFor([&] {
    stats = Ctl({"stats", "named"});
    return absl::StrContains(stats.out, "tcp(lines)/thread");
  })) << stats.out;
  CommandResult json = Ctl({"--json", "stats", "named"});
  EXPECT_TRUE(absl::StrContains(json.out, "\"handler\": \"lines\"")) << json.out;
}

// A plugin that cannot serve ends the start FAILED with its reason, and is not restarted.
TEST_F(HandlerTest, BadPluginFailsWithItsReasonAndIsNotRestarted) {
  CommandResult start = Ctl({"start", "old", "--protocol", "tcp", "--listen", "127.0.0.1:0",
                             "--handler", Plugin("test_bad_abi")});
  EXPECT_NE(start.exit_code, 0);
  EXPECT_TRUE(
      absl::StrContains(start.out + start.err, "built for ABI 2; this corral-server supports 1"))
      << start.out << start.err;
  absl::StatusOr<v1::Server> server = Get("old");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->state(), v1::STATE_FAILED);
  EXPECT_TRUE(absl::StrContains(server->reason(), "load handler " + Plugin("test_bad_abi")))
      << server->reason();
  EXPECT_EQ(server->restarts(), 0u);
}

}  // namespace
}  // namespace corral::testing
