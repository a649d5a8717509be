#include "servers/cooperative/event.h"

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/servers/cooperative/hub_thread.h"

namespace corral::cooperative {
namespace {

using namespace std::chrono_literals;
using testing::HubThread;

base::Deadline In(std::chrono::milliseconds d) { return base::Clock::now() + d; }

// Waiters parked on hub A and blocked on a thread are all woken by one Set from hub B.
TEST(EventTest, SetOnOneHubWakesGreenletsOfAnotherAndThreads) {
  HubThread a, b;
  Event event;
  constexpr int kGreenlets = 20;
  std::latch woken(kGreenlets + 1);
  std::atomic<int> ok{0};
  for (int i = 0; i < kGreenlets; ++i) {
    a.Spawn([&] {
      if (event.Wait(In(10s)).ok()) ++ok;
      woken.count_down();
    });
  }
  std::thread waiter([&] {
    if (event.Wait(In(10s)).ok()) ++ok;
    woken.count_down();
  });
  b.Spawn([&] { event.Set(); });
  woken.wait();
  waiter.join();
  EXPECT_EQ(ok.load(), kGreenlets + 1);
  EXPECT_TRUE(event.is_set());
  EXPECT_TRUE(event.Wait(In(0ms)).ok());  // set: passes without waiting
  event.Clear();
  EXPECT_EQ(event.Wait(In(10ms)).code(), absl::StatusCode::kDeadlineExceeded);
}

// The same set from a plain thread to a greenlet, round trip: a ping-pong of two events between
// a greenlet and a thread, many times (a lost wake-up would hang it).
TEST(EventTest, PingPongBetweenAGreenletAndAThread) {
  HubThread a;
  Event ping, pong;
  constexpr int kRounds = 2000;
  absl::Notification done;
  a.Spawn([&] {
    for (int i = 0; i < kRounds; ++i) {
      ASSERT_TRUE(ping.Wait(In(10s)).ok());
      ping.Clear();
      pong.Set();
    }
    done.Notify();
  });
  for (int i = 0; i < kRounds; ++i) {
    ping.Set();
    ASSERT_TRUE(pong.Wait(In(10s)).ok()) << "round " << i;
    pong.Clear();
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

}  // namespace
}  // namespace corral::cooperative
