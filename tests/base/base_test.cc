// The base layer's pieces: deadlines and the one wait with a deadline, syscall errors, hex.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "base/deadline.h"
#include "base/hex.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"
#include "gtest/gtest.h"

namespace corral::base {
namespace {

using std::chrono::milliseconds;

TEST(PollTimeoutMsTest, NoDeadlineWaitsForEverAndAPassedOneNotAtAll) {
  EXPECT_EQ(PollTimeoutMs(Deadline::max()), -1);
  EXPECT_EQ(PollTimeoutMs(Clock::now() - milliseconds(5)), 0);
}

TEST(PollTimeoutMsTest, RoundsUpSoAWaitNeverEndsEarly) {
  const int ms = PollTimeoutMs(Clock::now() + std::chrono::microseconds(100));
  EXPECT_EQ(ms, 1);
  EXPECT_LE(PollTimeoutMs(Clock::now() + std::chrono::hours(24 * 365 * 100)), 1 << 30);
}

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    a.Reset(fds[0]);
    b.Reset(fds[1]);
  }
  UniqueFd a, b;
};

TEST(WaitReadyTest, TimesOutWhenNothingArrives) {
  SocketPair pair;
  absl::Status status = WaitReady(pair.a.get(), POLLIN, DeadlineAfter(milliseconds(20)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
}

TEST(WaitReadyTest, ReturnsOnceReadable) {
  SocketPair pair;
  ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
  EXPECT_TRUE(WaitReady(pair.a.get(), POLLIN, DeadlineAfter(milliseconds(10'000))).ok());
}

TEST(WaitReadyTest, AHangUpCountsAsReadySoTheNextCallReportsIt) {
  SocketPair pair;
  pair.b.Reset();
  EXPECT_TRUE(WaitReady(pair.a.get(), POLLIN, Deadline::max()).ok());
}

TEST(SyscallErrorTest, NamesTheActionAndTheReasonWithACodeForTheErrno) {
  absl::Status in_use = SyscallError("bind 127.0.0.1:80", EADDRINUSE);
  EXPECT_TRUE(absl::IsFailedPrecondition(in_use));
  EXPECT_EQ(in_use.message(), "bind 127.0.0.1:80: address already in use");
  EXPECT_TRUE(absl::IsPermissionDenied(SyscallError("open", EACCES)));
  EXPECT_TRUE(absl::IsNotFound(SyscallError("open", ENOENT)));
  EXPECT_TRUE(absl::IsUnavailable(SyscallError("read", ECONNRESET)));
  EXPECT_TRUE(absl::IsResourceExhausted(SyscallError("write", ENOSPC)));
  EXPECT_EQ(ErrnoText(ENOENT), "no such file or directory");
}

TEST(UniqueFdTest, ClosesOnDestructionAndReleaseGivesUp) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  { UniqueFd owned(fds[0]); }
  EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
  UniqueFd kept(fds[1]);
  EXPECT_EQ(kept.Release(), fds[1]);
  EXPECT_FALSE(kept.valid());
  EXPECT_EQ(::close(fds[1]), 0);
}

TEST(HexTest, DigitsOfEitherCaseAndNothingElse) {
  EXPECT_EQ(HexValue('0'), 0);
  EXPECT_EQ(HexValue('a'), 10);
  EXPECT_EQ(HexValue('F'), 15);
  EXPECT_EQ(HexValue('g'), -1);
  EXPECT_EQ(HexValue('%'), -1);
  EXPECT_EQ(kUpperHexDigits[0xC], 'C');
}

}  // namespace
}  // namespace corral::base
