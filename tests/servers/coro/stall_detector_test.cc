#include "servers/coro/stall_detector.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

struct Reports {
  absl::Mutex mu;
  std::vector<StallDetector::Stall> stalls ABSL_GUARDED_BY(mu);
  std::vector<bool> while_spinning ABSL_GUARDED_BY(mu);
};

void Spin(Clock::duration d) {
  const auto end = Clock::now() + d;
  while (Clock::now() < end) {
  }
}

// A greenlet that holds its hub for 400 ms with a 50 ms bound is reported once, while it still
// holds the hub, with at least the bound so far.
TEST(StallDetectorTest, ReportsAHeldHubOnceWhileItIsHeld) {
  Reports reports;
  std::atomic<bool> spinning{false};
  StallDetector detector(50ms, [&](const StallDetector::Stall& s) {
    absl::MutexLock lock(&reports.mu);
    reports.stalls.push_back(s);
    reports.while_spinning.push_back(spinning.load());
  });
  InFreshThread([&] {
    Hub& hub = Hub::Current();
    const size_t index = detector.Watch(&hub);
    auto task = Spawn([&] {
      spinning = true;
      Spin(400ms);
      spinning = false;
    });
    task.Join();
    Sleep(100ms);  // idle afterwards: no further report
    detector.Unwatch(index);
  });
  absl::MutexLock lock(&reports.mu);
  ASSERT_EQ(reports.stalls.size(), 1u);
  EXPECT_GE(reports.stalls[0].so_far, 50ms);
  EXPECT_TRUE(reports.while_spinning[0]);
}

// Busy but yielding (switching every millisecond), or idle in epoll: never a stall. (The bound
// is generous: a thread preempted that long while in a greenlet would be one.)
TEST(StallDetectorTest, YieldingAndIdleHubsAreNotStalls) {
  std::atomic<int> count{0};
  StallDetector detector(300ms, [&](const StallDetector::Stall&) { ++count; });
  InFreshThread([&] {
    Hub& hub = Hub::Current();
    const size_t index = detector.Watch(&hub);
    auto busy = Spawn([] {
      const auto end = Clock::now() + 200ms;
      while (Clock::now() < end) {
        Spin(1ms);
        Yield();
      }
    });
    busy.Join();
    Sleep(400ms);
    detector.Unwatch(index);
  });
  EXPECT_EQ(count.load(), 0);
}

}  // namespace
}  // namespace corral::coro
