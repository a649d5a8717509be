// ConnectionDrainSignal with a BlockingStream over a socket pair, in this process: a drain's
// SIGTERM, wherever it lands (before serving, while a receive is blocked, between the check and
// the recv(2), on another thread), ends the receive's wait and calls BeginDrain once, as a fork
// child serving one keep-alive connection needs. The end-to-end case is
// HttpModelsTest.DrainClosesKeepAliveConnectionsAtTheirNextChance/fork.
#include "servers/models/connection_drain_signal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "base/unique_fd.h"
#include "servers/net/blocking_stream.h"
#include "tests/support/wait_for.h"

namespace corral::models {
namespace {

// Far longer than any test here takes: a read that waits this long has missed the signal.
constexpr auto kLongWait = std::chrono::seconds(60);

// What a keep-alive protocol does on a drain, reduced: it ends the connection's wait, as http's
// sweep shuts the waiting socket's reading side.
class FakeProtocol final : public protocols::StreamProtocol {
 public:
  explicit FakeProtocol(int fd) : fd_(fd) {}
  void Serve(net::Stream&) const override {}
  void BeginDrain() const override {
    ++drains_;
    ::shutdown(fd_, SHUT_RD);
  }
  int drains() const { return drains_.load(); }

 private:
  const int fd_;
  mutable std::atomic<int> drains_{0};
};

void SetTermBlocked(bool blocked) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &term, nullptr), 0);
}

// The state of a forked child: SIGTERM blocked, as corral-server blocks it in every thread.
// Restores this test process's disposition and mask afterwards.
class ConnectionDrainSignalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::sigaction(SIGTERM, nullptr, &saved_action_), 0);
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &saved_mask_), 0);
    SetTermBlocked(true);
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    served_.Reset(pair[0]);
    client_.Reset(pair[1]);
  }

  void TearDown() override {
    SetTermBlocked(true);  // a signal still pending stays so until the default comes back
    ::sigaction(SIGTERM, &saved_action_, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
  }

  // One read of the served socket as a keep-alive wait, with `before` run before each recv
  // after the drain signal's own hook.
  absl::StatusOr<size_t> ReadOnce(ConnectionDrainSignal& drain,
                                  const std::function<void()>& before = nullptr) {
    net::BlockingStream stream(served_.get());
    stream.set_before_receive([&] {
      drain.BeforeReceive();
      if (before) before();
    });
    char byte;
    return stream.Read(&byte, 1, net::DeadlineAfter(kLongWait));
  }

  base::UniqueFd served_;
  base::UniqueFd client_;
  struct sigaction saved_action_ {};
  sigset_t saved_mask_{};
};

TEST_F(ConnectionDrainSignalTest, WithoutASignalReadsAsBefore) {
  FakeProtocol protocol(served_.get());
  ConnectionDrainSignal drain(served_.get(), protocol);
  ASSERT_EQ(::write(client_.get(), "x", 1), 1);
  absl::StatusOr<size_t> n = ReadOnce(drain);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(protocol.drains(), 0);
}

TEST_F(ConnectionDrainSignalTest, ASignalSentBeforeServingIsActedOnAtTheFirstReceive) {
  FakeProtocol protocol(served_.get());
  ASSERT_EQ(::raise(SIGTERM), 0);  // pending while blocked, as for a child forked late
  ConnectionDrainSignal drain(served_.get(), protocol);
  absl::StatusOr<size_t> n = ReadOnce(drain);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0u) << "the wait was not ended";
  EXPECT_EQ(protocol.drains(), 1);
}

// The race a handler that only records cannot close alone: the signal lands after the hook
// looked and before the recv started, so the recv would block for its whole timeout.
TEST_F(ConnectionDrainSignalTest, ASignalBetweenTheCheckAndTheReceiveStillEndsTheWait) {
  FakeProtocol protocol(served_.get());
  ConnectionDrainSignal drain(served_.get(), protocol);
  bool raised = false;
  absl::StatusOr<size_t> n = ReadOnce(drain, [&] {
    if (!raised) {
      raised = true;
      ::raise(SIGTERM);  // handled before raise returns: then the recv
    }
  });
  ASSERT_TRUE(n.ok()) << n.status() << " (the recv waited for its whole timeout)";
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(protocol.drains(), 1);
}

// Whether thread `tid` of this process is inside recvfrom(2) (glibc's recv), per /proc.
bool InReceive(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long number = -1;
  return (in >> number) && number == SYS_recvfrom;
}

// A SIGTERM taken by another thread of the child (one its handler started) still wakes the
// receive blocked on the serving thread, and a second one changes nothing.
TEST_F(ConnectionDrainSignalTest, ASignalOnAnotherThreadWakesTheBlockedReceive) {
  FakeProtocol protocol(served_.get());
  ConnectionDrainSignal drain(served_.get(), protocol);
  const pid_t reader = static_cast<pid_t>(::syscall(SYS_gettid));
  std::thread other([&] {
    SetTermBlocked(false);
    if (!testing::WaitFor([&] { return InReceive(reader); })) return;
    ::raise(SIGTERM);  // this thread's own signal: its handler runs here
    ::raise(SIGTERM);
  });
  absl::StatusOr<size_t> n = ReadOnce(drain);
  other.join();
  ASSERT_TRUE(n.ok()) << n.status() << " (the recv waited for its whole timeout)";
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(protocol.drains(), 1);
}

}  // namespace
}  // namespace corral::models
