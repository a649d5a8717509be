#include "agent/exit_info.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/time/clock.h"

namespace corral::agent {
namespace {

// Runs a real child that ends as `body` makes it, and decodes its waitid() status.
template <typename Body>
ExitInfo ExitOfChild(Body body) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  siginfo_t info{};
  EXPECT_EQ(waitid(P_PID, pid, &info, WEXITED), 0);
  return ExitInfo::FromSiginfo(info, absl::Now());
}

TEST(ExitInfoTest, DecodesExitCode) {
  ExitInfo exit = ExitOfChild([] { _exit(3); });
  EXPECT_FALSE(exit.signaled);
  EXPECT_EQ(exit.code, 3);
  EXPECT_EQ(exit.ToString(), "exited with code 3");
}

TEST(ExitInfoTest, DecodesSignal) {
  ExitInfo exit = ExitOfChild([] { raise(SIGKILL); });
  EXPECT_TRUE(exit.signaled);
  EXPECT_EQ(exit.signal, SIGKILL);
  EXPECT_FALSE(exit.core_dumped);
  EXPECT_EQ(exit.ToString(), "killed by signal 9 (SIGKILL)");
}

}  // namespace
}  // namespace corral::agent
