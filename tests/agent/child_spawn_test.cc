// SpawnChild: the attributes every spawned server had under posix_spawn (default signal
// dispositions, an empty mask, its own process group, only the descriptors handed over), the
// credentials it takes before exec, and failures in the child reported with their step.
#include "agent/child_spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral::agent {
namespace {

// Runs `argv` as SpawnChild starts it, with /dev/null as stdin and stderr, its stdout on a
// pipe, and `credentials`; returns what it printed, after it exited 0. (Not through a shell:
// a shell blocks signals of its own while it waits for a command.)
std::string RunChild(const std::vector<std::string>& argv,
                     std::optional<Credentials> credentials = std::nullopt) {
  int out[2];
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  absl::StatusOr<pid_t> pid = SpawnChild({.argv = argv,
                                          .fds = {{0, dev_null}, {1, out[1]}, {2, dev_null}},
                                          .credentials = credentials});
  ::close(dev_null);
  ::close(out[1]);
  std::string printed;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) printed.append(buf, n);
  ::close(out[0]);
  EXPECT_TRUE(pid.ok()) << pid.status();
  if (!pid.ok()) return "";
  int status = 0;
  EXPECT_EQ(::waitpid(*pid, &status, 0), *pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return printed;
}

TEST(ChildSpawnTest, TheChildGetsDefaultSignalsItsOwnGroupAndOnlyTheDescriptorsHandedOver) {
  // What the agent has and a server must not inherit: a blocked and an ignored signal, and a
  // (close-on-exec) descriptor that is not handed over.
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &blocked, &previous), 0);
  auto previous_usr2 = ::signal(SIGUSR2, SIG_IGN);
  const int unrelated = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  const std::string signals = RunChild({"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
  const std::string stat = RunChild({"/bin/cat", "/proc/self/stat"});
  // ls's own descriptor 3 is the directory it reads.
  const std::string fds = RunChild({"/bin/ls", "/proc/self/fd"});
  ::close(unrelated);
  ::signal(SIGUSR2, previous_usr2);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  EXPECT_EQ(signals, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  // Fields 1 (pid) and 5 (process group) are the same: a group of its own.
  std::vector<std::string> fields = absl::StrSplit(stat, ' ');
  ASSERT_GT(fields.size(), 5u) << stat;
  EXPECT_EQ(fields[0], fields[4]) << stat;
  // Exactly the three handed over: not `unrelated` (close-on-exec, as all the agent's own
  // are), nor any descriptor the agent inherited without close-on-exec from whoever started it.
  EXPECT_EQ(fds, "0\n1\n2\n3\n");
}

TEST(ChildSpawnTest, TheChildTakesTheCredentialsWithoutSupplementaryGroups) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change credentials";
  const std::string printed = RunChild(
      {"/bin/grep", "-E", "^(Uid|Gid|Groups)", "/proc/self/status"}, Credentials{65534, 65534});
  EXPECT_TRUE(absl::StrContains(printed, "Uid:\t65534\t65534\t65534\t65534")) << printed;
  EXPECT_TRUE(absl::StrContains(printed, "Gid:\t65534\t65534\t65534\t65534")) << printed;
  EXPECT_TRUE(absl::StrContains(printed, "Groups:\t\n") ||
              absl::StrContains(printed, "Groups:\t \n"))
      << printed;
}

TEST(ChildSpawnTest, AFailureInTheChildNamesItsStep) {
  absl::StatusOr<pid_t> missing = SpawnChild({.argv = {"/nonexistent/corral-server"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "exec /nonexistent/corral-server: no such file or directory");
  if (::geteuid() == 0) return;  // root may take any uid
  absl::StatusOr<pid_t> refused =
      SpawnChild({.argv = {"/bin/true"}, .credentials = Credentials{0, 0}});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "drop supplementary groups"))
      << refused.status();
}

}  // namespace
}  // namespace corral::agent
