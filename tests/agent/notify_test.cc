// The pure parts of readiness and command launch: sd_notify datagrams, env files, HTTP status
// lines, and the child's hand-over (LISTEN_PID, cwd, umask) through SpawnChild.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/child_spawn.h"
#include "agent/command_launch.h"
#include "agent/http_probe.h"
#include "agent/notify_message.h"
#include "agent/notify_socket.h"
#include "gtest/gtest.h"

namespace corral::agent {
namespace {

TEST(NotifyMessageTest, ParsesWhatProgramsSend) {
  NotifyMessage m = ParseNotifyMessage(
      "READY=1\nSTATUS=serving 3 clients\nMAINPID=42\nEXTEND_TIMEOUT_USEC=5000000\nX=1\n");
  EXPECT_TRUE(m.ready);
  EXPECT_FALSE(m.stopping);
  EXPECT_EQ(m.status, "serving 3 clients");
  EXPECT_EQ(m.main_pid, 42);
  EXPECT_EQ(m.extend_timeout_usec, 5000000u);
  m = ParseNotifyMessage("WATCHDOG=1\nSTOPPING=1");
  EXPECT_TRUE(m.watchdog);
  EXPECT_TRUE(m.stopping);
  EXPECT_FALSE(m.ready);
  m = ParseNotifyMessage("READY=0\nMAINPID=-3\nMAINPID=x\nCORRAL_FAILED=bind x: in use\n");
  EXPECT_FALSE(m.ready);
  EXPECT_FALSE(m.main_pid);
  EXPECT_EQ(m.failed, "bind x: in use");
  // Control characters cannot garble `get`; long texts are cut.
  EXPECT_EQ(ParseNotifyMessage("STATUS=a\tb\x1b[2J").status, "a b [2J");
  EXPECT_EQ(ParseNotifyMessage("STATUS=" + std::string(5000, 'x')).status->size(),
            kMaxNotifyTextBytes);
}

TEST(NotifySocketTest, ReceivesTheSendersPidAndDropsOversizedDatagrams) {
  absl::StatusOr<NotifySocket> socket =
      NotifySocket::Open(absl::StrCat("/tmp/notify-test-", ::getpid()));
  ASSERT_TRUE(socket.ok()) << socket.status();
  ASSERT_EQ(socket->address()[0], '@');
  const std::string command = absl::StrCat(
      "import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); a = '\\0",
      socket->address().substr(1), "'; s.sendto(b'READY=1', a); s.sendto(b'x' * 5000, a)");
  pid_t child = ::fork();
  if (child == 0) {
    ::execlp("python3", "python3", "-c", command.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::optional<NotifySocket::Datagram> first = socket->Receive();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sender, child);
  EXPECT_EQ(first->bytes, "READY=1");
  std::optional<NotifySocket::Datagram> oversized = socket->Receive();
  ASSERT_TRUE(oversized);
  EXPECT_EQ(oversized->sender, 0);
  EXPECT_FALSE(socket->Receive());
}

TEST(EnvFileTest, ParsesKeyValueLines) {
  absl::StatusOr<std::vector<std::string>> entries =
      ParseEnvFile("# comment\n\nA=1\nexport B=\"two words\"\n  C='x=y'  \nD=\n");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(*entries, (std::vector<std::string>{"A=1", "B=two words", "C=x=y", "D="}));
  absl::StatusOr<std::vector<std::string>> bad = ParseEnvFile("A=1\nnot a pair\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "line 2 is not KEY=VALUE: \"not a pair\"");
}

TEST(CommandLaunchTest, ResolvesThroughPathAndNamesWhatIsMissing) {
  v1::ServerSpec spec;
  spec.add_command("sh");
  spec.add_command("-c");
  absl::StatusOr<std::vector<std::string>> argv = ResolveCommand(spec, {"PATH=/nowhere:/bin"});
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_EQ((*argv)[0], "/bin/sh");
  spec.set_command(0, "python4");
  argv = ResolveCommand(spec, {"PATH=/usr/bin:/bin"});
  ASSERT_FALSE(argv.ok());
  EXPECT_EQ(argv.status().message(), "exec python4: no such file or directory");
}

TEST(CommandLaunchTest, TheEnvironmentReplacesHandOverVariablesAndAddsTheSpecs) {
  ::setenv("LISTEN_FDS", "9", 1);  // the agent's own must not leak to a server
  v1::ServerSpec spec;
  spec.add_env("FOO=1");
  spec.add_env("FOO=2");
  absl::StatusOr<std::vector<std::string>> env = ServerEnvironment(spec, "@n", {});
  ::unsetenv("LISTEN_FDS");
  ASSERT_TRUE(env.ok());
  auto has = [&env](const std::string& entry) {
    return std::find(env->begin(), env->end(), entry) != env->end();
  };
  EXPECT_TRUE(has("FOO=2"));
  EXPECT_FALSE(has("FOO=1"));
  EXPECT_TRUE(has("NOTIFY_SOCKET=@n"));
  for (const std::string& entry : *env) EXPECT_FALSE(absl::StartsWith(entry, "LISTEN_")) << entry;
  spec.set_env_file("/nonexistent/app.env");
  env = ServerEnvironment(spec, "@n", {});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().message(),
            "read env file /nonexistent/app.env: no such file or directory");
}

TEST(HttpProbeTest, OnlyA2xxStatusLineIsSuccess) {
  EXPECT_TRUE(HttpProbe::IsSuccess("HTTP/1.1 200 OK"));
  EXPECT_TRUE(HttpProbe::IsSuccess("HTTP/1.0 204 No Content"));
  EXPECT_FALSE(HttpProbe::IsSuccess("HTTP/1.1 503 Service Unavailable"));
  EXPECT_FALSE(HttpProbe::IsSuccess("SSH-2.0-OpenSSH"));
  EXPECT_FALSE(HttpProbe::IsSuccess(""));
}

TEST(ChildSpawnHandOverTest, TheChildGetsItsOwnPidInListenPidAndItsCwdAndUmask) {
  const std::string out = absl::StrCat("/tmp/handover-", ::getpid());
  absl::StatusOr<pid_t> pid =
      SpawnChild({.argv = {"/bin/sh", "-c", "echo \"$LISTEN_PID $$ $(pwd) $(umask)\" > " + out},
                  .env = std::vector<std::string>{"PATH=/usr/bin:/bin"},
                  .listen_pid = true,
                  .cwd = "/tmp",
                  .umask = 027});
  ASSERT_TRUE(pid.ok()) << pid.status();
  int status = 0;
  ASSERT_EQ(::waitpid(*pid, &status, 0), *pid);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  ::unlink(out.c_str());
  EXPECT_EQ(line, absl::StrCat(*pid, " ", *pid, " /tmp 0027"));
  absl::StatusOr<pid_t> bad = SpawnChild({.argv = {"/bin/true"}, .cwd = "/nonexistent"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "spawn /bin/true: chdir /nonexistent: no such file or directory");
}

}  // namespace
}  // namespace corral::agent
