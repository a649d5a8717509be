// A plugin that cannot serve ends corral-server at start-up with a reason a person can act on,
// as its FAILED readiness and exit code 78 (so a supervisor does not respawn it); one that can
// serves its connections.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "servers/exit_codes.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

std::string Plugin(const std::string& name) {
  return std::string(CORRAL_TEST_PLUGIN_DIR) + "/" + name;
}

// Starts corral-server with `args`, expects FAILED with a reason containing `reason`, and exit
// code 78.
void ExpectFailedStart(const std::vector<std::string>& args, const std::string& reason) {
  ServerProcess server(args);
  EXPECT_FALSE(server.ready()) << "started on " << server.detail();
  EXPECT_NE(server.detail().find(reason), std::string::npos)
      << "reason: " << server.detail() << "\nexpected it to contain: " << reason;
  int status = server.SignalAndWait(0);
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), kExitBadConfig);
}

std::vector<std::string> Tcp(const std::string& handler, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--protocol",  "tcp",       "--listen",
                                   "127.0.0.1:0", "--handler", handler};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(PluginLoadTest, ServesTheConnectionsOfAGoodPlugin) {
  ServerProcess server(Tcp(Plugin("test_lines.so")));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectTcp(server.detail());
  ASSERT_TRUE(fd);
  EXPECT_EQ(EchoOn(fd.get(), "one line\n"), "one line\n");
  EXPECT_EQ(EchoOn(fd.get(), "and another\n"), "and another\n");
}

// host->others_waiting (design decision 24): at --max-workers 2, two idle line sessions hold
// both workers; a third client makes one of them say goodbye and end, and is served.
TEST(PluginLoadTest, AnIdleSessionEndsPolitelyForAWaitingClient) {
  ServerProcess server(Tcp(Plugin("test_yield.so"), {"--model", "thread", "--max-workers", "2"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> idle;
  for (int i = 0; i < 2; ++i) {
    idle.push_back(ConnectTcp(server.detail()));
    ASSERT_EQ(EchoOn(idle.back().get(), "first\n"), "first\n") << i;
  }
  base::UniqueFd third = ConnectTcp(server.detail());
  ASSERT_TRUE(third);
  EXPECT_EQ(EchoOn(third.get(), "third\n"), "third\n");
  int goodbyes = 0;
  for (base::UniqueFd& fd : idle) {
    char bye[4];
    goodbyes += ::recv(fd.get(), bye, sizeof bye, 0) == 4 && std::string(bye, 4) == "bye\n";
  }
  EXPECT_EQ(goodbyes, 1);
}

TEST(PluginLoadTest, NotFound) {
  ExpectFailedStart(Tcp("/nonexistent/plugin.so"),
                    "load handler /nonexistent/plugin.so: not found");
}

TEST(PluginLoadTest, NotASharedObject) {
  char path[] = "/tmp/corral-not-a-plugin-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hello\n", 6), 6);
  close(fd);
  ExpectFailedStart(Tcp(path),
                    std::string("load handler ") + path + ": not a loadable shared object: ");
  std::remove(path);
}

TEST(PluginLoadTest, NoEntryPoint) {
  ExpectFailedStart(Tcp(Plugin("test_no_entry.so")), "no corral_handler_entry");
}

TEST(PluginLoadTest, UnsupportedAbiVersion) {
  ExpectFailedStart(Tcp(Plugin("test_bad_abi.so")),
                    "built for ABI 2; this corral-server supports 1");
}

TEST(PluginLoadTest, BadName) {
  ExpectFailedStart(Tcp(Plugin("test_bad_name.so")), "bad name \"bad name!\"");
}

TEST(PluginLoadTest, UnknownHandlerArgListsTheAcceptedOnes) {
  ExpectFailedStart(Tcp(Plugin("kv.so"), {"--handler-arg", "colour=blue"}),
                    "unknown handler-arg \"colour\"; kv accepts max_keys");
  ExpectFailedStart(Tcp(Plugin("test_lines.so"), {"--handler-arg", "x=1"}),
                    "unknown handler-arg \"x\"; lines accepts none");
}

TEST(PluginLoadTest, InitsOwnError) {
  ExpectFailedStart(Tcp(Plugin("test_init_fails.so")),
                    "init of handler lines failed: cannot open /nonexistent/db: no such file");
  ExpectFailedStart(Tcp(Plugin("kv.so"), {"--handler-arg", "max_keys=lots"}),
                    "init of handler kv failed: max_keys \"lots\" is not a positive number");
}

TEST(PluginLoadTest, MissingServeFunctionForTheProtocol) {
  ExpectFailedStart({"--protocol", "udp", "--listen", "127.0.0.1:0", "--handler", Plugin("kv.so")},
                    "handler kv has no serve_datagram, so it cannot serve protocol udp");
}

TEST(PluginLoadTest, HandlerRequiredByTcpAndRefusedByBuiltInProtocols) {
  ExpectFailedStart({"--protocol", "tcp", "--listen", "127.0.0.1:0"},
                    "protocol tcp is served by a handler plugin; give one with --handler PATH");
  ExpectFailedStart(
      {"--protocol", "tcp-echo", "--listen", "127.0.0.1:0", "--handler", Plugin("echo.so")},
      "protocol tcp-echo takes no handler plugin");
}

}  // namespace
}  // namespace corral::testing
