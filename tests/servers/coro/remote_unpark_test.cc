// Hub::UnparkFromAnyThread and its companions: a greenlet parked on one hub woken by another
// thread, without a stale wake, without a false deadlock; and the activity count the stall
// detector reads.
#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// The root greenlet joins a task that parks with no timer, no descriptor and no Run(): only
// another thread can wake it. Without AddRemoteWaiter the hub would raise LoopExit.
TEST(RemoteUnparkTest, AnotherThreadWakesAParkedGreenlet) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    std::atomic<Greenlet*> parked{nullptr};
    bool resumed = false;
    auto task = Spawn([&] {
      hub.AddRemoteWaiter();
      parked.store(Greenlet::Current());
      hub.Park();
      hub.RemoveRemoteWaiter();
      resumed = true;
    });
    std::thread waker([&] {
      while (parked.load() == nullptr) std::this_thread::yield();
      hub.UnparkFromAnyThread(parked.load());
    });
    task.Join();
    waker.join();
    EXPECT_TRUE(resumed);
  });
}

// A wake queued for a greenlet that stopped waiting (here: its deadline passed) is withdrawn,
// so it cannot end the greenlet's next, unrelated sleep early.
TEST(RemoteUnparkTest, CancelledWakeDoesNotLandInALaterPark) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    Greenlet* self = nullptr;
    auto task = Spawn([&] {
      self = Greenlet::Current();
      hub.SleepUntil(Deadline(1ms));
      // Queued from another thread after the wait ended (as a racing notifier would), and
      // withdrawn before the loop could act on it.
      std::thread([&] { hub.UnparkFromAnyThread(self); }).join();
      hub.CancelRemoteUnpark(self);
      const auto start = Clock::now();
      hub.SleepUntil(Deadline(50ms));
      return Clock::now() - start;
    });
    EXPECT_GE(task.Get(), 50ms);
  });
}

// Odd while a greenlet runs, even while the loop does; another thread may read it.
TEST(RemoteUnparkTest, ActivityIsOddWhileAGreenletRuns) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    uint64_t inside = 0;
    auto task = Spawn([&] { inside = hub.activity(); });
    task.Join();
    EXPECT_EQ(inside % 2, 1u);
    uint64_t seen = 0;
    std::thread([&] { seen = hub.activity(); }).join();
    EXPECT_GE(seen, inside + 1);
  });
}

}  // namespace
}  // namespace corral::coro
