// ThreadWorkers with real threads: a thread per running unit even when parked threads wait,
// reuse of a parked thread, the counts and the finished descriptor, the handoff descriptor's
// ownership, the drain's cut, and a destructor that leaves no thread touching freed memory.
#include "servers/models/thread_workers.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/support/wait_for.h"

namespace corral::models {
namespace {

using std::chrono::milliseconds;

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// Waits until every launched unit has ended, as the server's loop does.
bool AllEnded(ThreadWorkers& workers) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (workers.active() > 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (Readable(workers.finished_fd(), 100)) workers.Collect();
  }
  workers.Collect();  // an end counted after the last Collect was signalled before it counted
  return true;
}

size_t ThreadCount() {
  size_t n = 0;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  while (dirent* entry = ::readdir(dir)) n += entry->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

// The thread count once threads that an earlier test told to exit are gone.
size_t SettledThreadCount() {
  size_t last = ThreadCount();
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    size_t now = ThreadCount();
    if (now == last) break;
    last = now;
  }
  return last;
}

// Waits (up to 5 s) until the process is back to at most `count` threads.
bool ThreadsBackTo(size_t count) {
  return testing::WaitFor([count] { return ThreadCount() <= count; }, std::chrono::seconds(5));
}

// A one-shot gate that units wait on, with a timeout so a broken test fails instead of hanging.
class Gate {
 public:
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  bool Wait() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&open_), absl::Seconds(5));
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

TEST(ThreadWorkersTest, UnitsRunConcurrentlyAlongsideParkedThreads) {
  ThreadWorkers workers;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(workers.Launch(-1, [] {}));
  ASSERT_TRUE(AllEnded(workers));  // up to three threads parked now

  // Each unit waits until all have arrived: two units sharing a thread would never get there.
  constexpr int kUnits = 16;
  absl::Mutex mu;
  int arrived = 0;
  std::atomic<int> met{0};
  for (int i = 0; i < kUnits; ++i) {
    ASSERT_TRUE(workers.Launch(-1, [&] {
      absl::MutexLock lock(&mu);
      ++arrived;
      auto all_arrived = [&] { return arrived == kUnits; };
      if (mu.AwaitWithTimeout(absl::Condition(&all_arrived), absl::Seconds(5))) ++met;
    }));
  }
  ASSERT_TRUE(AllEnded(workers));
  EXPECT_EQ(met.load(), kUnits);
}

TEST(ThreadWorkersTest, UnitAfterAnEndedOneRunsOnItsThread) {
  ThreadWorkers workers;
  // Kernel thread ids, not std::thread::id: glibc may give a new thread the pthread_t (and
  // stack) of one that exited, while the kernel does not hand out a tid again so soon.
  pid_t first = 0, second = 0;
  ASSERT_TRUE(workers.Launch(-1, [&] { first = ::gettid(); }));
  ASSERT_TRUE(AllEnded(workers));
  ASSERT_TRUE(workers.Launch(-1, [&] { second = ::gettid(); }));
  ASSERT_TRUE(AllEnded(workers));
  EXPECT_EQ(first, second);
  EXPECT_NE(first, ::gettid());
}

TEST(ThreadWorkersTest, CountsRunningUnitsAndSignalsEachEnd) {
  ThreadWorkers workers;
  EXPECT_EQ(workers.active(), 0u);
  Gate gate;
  ASSERT_TRUE(workers.Launch(-1, [&] { gate.Wait(); }));
  ASSERT_TRUE(workers.Launch(-1, [&] { gate.Wait(); }));
  EXPECT_EQ(workers.active(), 2u);
  EXPECT_FALSE(Readable(workers.finished_fd(), 50));

  gate.Open();
  ASSERT_TRUE(AllEnded(workers));
  EXPECT_FALSE(Readable(workers.finished_fd(), 0));  // collected

  // Parked threads are not active; a unit handed to one is.
  Gate again;
  ASSERT_TRUE(workers.Launch(-1, [&] { again.Wait(); }));
  EXPECT_EQ(workers.active(), 1u);
  again.Open();
  ASSERT_TRUE(Readable(workers.finished_fd(), 5000));
  workers.Collect();
  EXPECT_EQ(workers.active(), 0u);
}

TEST(ThreadWorkersTest, WithACapSignalsOnlyEndsThatLeaveTheCap) {
  ThreadWorkers workers(/*cap=*/2);
  Gate first;
  ASSERT_TRUE(workers.Launch(-1, [&] { first.Wait(); }));
  first.Open();
  // One of two allowed was running: nobody waits for that end, so it is not signalled.
  ASSERT_TRUE(testing::WaitFor([&] { return workers.active() == 0; }));
  EXPECT_FALSE(Readable(workers.finished_fd(), 50));

  // At the cap, an end is what the launcher waits for: signalled.
  Gate second;
  ASSERT_TRUE(workers.Launch(-1, [&] { second.Wait(); }));
  ASSERT_TRUE(workers.Launch(-1, [&] { second.Wait(); }));
  EXPECT_EQ(workers.active(), 2u);
  second.Open();
  ASSERT_TRUE(Readable(workers.finished_fd(), 5000));
  workers.Collect();
  EXPECT_TRUE(AllEnded(workers));
}

TEST(ThreadWorkersTest, ExceptionEndsTheUnitAndKeepsTheThread) {
  ThreadWorkers workers;
  ASSERT_TRUE(workers.Launch(-1, [] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(AllEnded(workers));
  bool ran = false;
  ASSERT_TRUE(workers.Launch(-1, [&] { ran = true; }));
  ASSERT_TRUE(AllEnded(workers));
  EXPECT_TRUE(ran);
}

TEST(ThreadWorkersTest, ClosesTheHandoffDescriptorWhenTheUnitEnds) {
  ThreadWorkers workers;
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const int handed = pair[0];
  ASSERT_TRUE(workers.Launch(handed, [handed] { (void)!::write(handed, "x", 1); }));
  ASSERT_TRUE(AllEnded(workers));

  char buf[2];
  EXPECT_EQ(::read(pair[1], buf, sizeof buf), 1);
  EXPECT_EQ(::read(pair[1], buf, sizeof buf), 0);  // the unit's end closed the other side
  ::close(pair[1]);
}

TEST(ThreadWorkersTest, DrainShutsDownTheSocketOfAStuckUnit) {
  ThreadWorkers workers;
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const int handed = pair[0];
  std::atomic<ssize_t> got{-2};
  ASSERT_TRUE(workers.Launch(handed, [handed, &got] {
    char c;
    got = ::read(handed, &c, 1);  // the peer never writes
  }));

  auto start = std::chrono::steady_clock::now();
  const size_t still_running = workers.Drain(std::chrono::steady_clock::now() + milliseconds(100));
  auto took = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(still_running, 0u);
  EXPECT_EQ(got.load(), 0);
  EXPECT_EQ(workers.active(), 0u);
  EXPECT_GE(took, milliseconds(100));
  EXPECT_LT(took, milliseconds(1000));
  ::close(pair[1]);
}

TEST(ThreadWorkersTest, DestructorMakesParkedThreadsExitPromptly) {
  const size_t before = SettledThreadCount();
  auto start = std::chrono::steady_clock::now();
  {
    ThreadWorkers workers;
    Gate gate;
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(workers.Launch(-1, [&] { gate.Wait(); }));
    gate.Open();
    ASSERT_TRUE(AllEnded(workers));
    EXPECT_GE(ThreadCount(), before + 8);  // parked, not exited
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(ThreadsBackTo(before));
}

TEST(ThreadWorkersTest, DrainCountsAUnitItCannotCut) {
  Gate gate;
  ThreadWorkers workers;
  ASSERT_TRUE(workers.Launch(-1, [&] { gate.Wait(); }));  // no socket to shut down
  EXPECT_EQ(workers.Drain(std::chrono::steady_clock::now() + milliseconds(50)), 1u);
  gate.Open();
  EXPECT_TRUE(AllEnded(workers));  // before `gate` goes
}

// A unit that no drain can cut (no socket) and that outlives the object still ends cleanly:
// its thread touches only state it shares, which AddressSanitizer builds check.
TEST(ThreadWorkersTest, UnitOutlivingTheObjectEndsWithoutTouchingIt) {
  const size_t before = SettledThreadCount();
  Gate gate;
  {
    ThreadWorkers workers;
    ASSERT_TRUE(workers.Launch(-1, [&] { gate.Wait(); }));
  }  // the destructor gives up on the unit after its grace
  gate.Open();
  EXPECT_TRUE(ThreadsBackTo(before));
}

}  // namespace
}  // namespace corral::models
