// One spec from agent to server (design decision 9): corralctl's flags and corral-server's
// standalone flags are one declaration, checked by one validation, and what the agent accepted
// reaches the server whole.
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "servers/net/address.h"
#include "servers/net/polling_stream.h"
#include "tests/integration/agent_fixture.h"

namespace corral::testing {
namespace {

// What follows `marker` on the first line of `text` that has it ("" when none does).
std::string After(const std::string& text, const std::string& marker) {
  size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  size_t end = text.find('\n', at);
  return text.substr(at + marker.size(), end == std::string::npos ? end : end - at - marker.size());
}

// A setting the agent refuses is refused by a standalone corral-server in the same words, and
// the server still exits 78 (bad configuration: do not respawn).
TEST_F(AgentTest, BadSettingsReadTheSameFromCorralctlAndTheStandaloneServer) {
  const std::vector<std::vector<std::string>> bad = {
      {"--hubs", "2"},          {"--protocol", "tcp-echo", "--header-timeout-ms", "100"},
      {"--pool-size", "5000"},  {"--protocol", "http"},
      {"--protocol", "gopher"}, {"--listen", "localhost"},
  };
  for (const std::vector<std::string>& flags : bad) {
    std::vector<std::string> ctl_args = {"start", "web"};
    ctl_args.insert(ctl_args.end(), flags.begin(), flags.end());
    CommandResult ctl = Ctl(ctl_args);
    EXPECT_EQ(ctl.exit_code, 2) << ctl.err;
    const std::string from_agent = After(ctl.err, "start \"web\": ");

    std::vector<std::string> server_argv = {BinaryPath("corral-server")};
    server_argv.insert(server_argv.end(), flags.begin(), flags.end());
    CommandResult server = RunCommand(server_argv);
    EXPECT_EQ(server.exit_code, 78) << server.err;
    EXPECT_EQ(server.out, "");  // errors go to stderr
    const std::string from_server = After(server.err, "cannot start: ");

    EXPECT_FALSE(from_agent.empty()) << ctl.err;
    EXPECT_EQ(from_server, from_agent) << flags[0] << "\n" << server.out << server.err;
  }
  EXPECT_EQ(Get("web").status().code(), absl::StatusCode::kNotFound);
}

// --header-timeout-ms was a standalone flag only; as a spec field it reaches a server the agent
// runs. A head left half-sent gets 408 after 300 ms, where the default would wait 10 s.
TEST_F(AgentTest, CtlHeaderTimeoutReachesTheServer) {
  CommandResult start = Ctl({"start", "web", "--protocol", "http", "--root", home_, "--listen",
                             "127.0.0.1:0", "--header-timeout-ms", "300"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  CommandResult json = Ctl({"--json", "get", "web"});
  EXPECT_TRUE(absl::StrContains(json.out, "\"headerTimeoutMs\": 300")) << json.out;
  absl::StatusOr<v1::Server> web = Get("web");
  ASSERT_TRUE(web.ok()) << web.status();
  absl::StatusOr<net::Address> address = net::Address::Parse(web->bound_address());
  ASSERT_TRUE(address.ok()) << address.status();

  base::UniqueFd fd(::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(fd.get(), address->sockaddr_ptr(), address->length()), 0);
  net::PollingStream stream(std::move(fd));
  // Well under the 10 s default, well over 300 ms.
  const net::Deadline deadline = net::DeadlineAfter(std::chrono::seconds(5));
  const std::string half = "GET / HTTP/1.1\r\nHost: x";
  ASSERT_TRUE(stream.WriteAll(half.data(), half.size(), deadline).ok());
  char buffer[256];
  absl::StatusOr<size_t> n = stream.Read(buffer, sizeof buffer, deadline);
  ASSERT_TRUE(n.ok()) << n.status() << ": no answer within 5 s";
  EXPECT_TRUE(std::string(buffer, *n).starts_with("HTTP/1.1 408 ")) << std::string(buffer, *n);
}

// What a server runs is the spec the agent validated, defaults included: the agent no longer
// spells it out as flags.
TEST_F(AgentTest, TheServerIsHandedTheValidatedSpec) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  std::ifstream cmdline("/proc/" + std::to_string(server.pid()) + "/cmdline");
  std::string argv((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(absl::StrContains(argv, std::string("--spec-fd\0"
                                                  "4",
                                                  11)))
      << argv;
  EXPECT_FALSE(absl::StrContains(argv, "--listen")) << argv;
  EXPECT_EQ(EchoOnce(server.bound_address(), "spec"), "spec");
}

}  // namespace
}  // namespace corral::testing
