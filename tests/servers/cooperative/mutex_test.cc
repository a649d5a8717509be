#include "servers/cooperative/mutex.h"

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "servers/cooperative/sleep.h"
#include "tests/servers/cooperative/hub_thread.h"

namespace corral::cooperative {
namespace {

using namespace std::chrono_literals;
using testing::HubThread;

base::Deadline In(std::chrono::milliseconds d) { return base::Clock::now() + d; }

// Greenlets on two hubs and two threads take turns; each holds the mutex across a yield (so a
// greenlet really parks in Lock while another of its hub holds it). Never two inside at once,
// no increment lost.
TEST(MutexTest, ExcludesGreenletsOfTwoHubsAndThreads) {
  HubThread a, b;
  Mutex mutex;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  int counter = 0;  // guarded by `mutex`
  constexpr int kRounds = 200;
  auto body = [&] {
    for (int i = 0; i < kRounds; ++i) {
      ASSERT_TRUE(mutex.Lock(In(10s)).ok());
      if (inside.fetch_add(1) != 0) ++overlaps;
      const int before = counter;
      ASSERT_TRUE(SleepUntil(base::Clock::now()).ok());  // yields on a hub
      counter = before + 1;
      inside.fetch_sub(1);
      mutex.Unlock();
    }
  };
  constexpr int kPerHub = 3;
  std::latch done(2 * kPerHub);
  for (int i = 0; i < kPerHub; ++i) {
    a.Spawn([&] {
      body();
      done.count_down();
    });
    b.Spawn([&] {
      body();
      done.count_down();
    });
  }
  std::thread t1(body), t2(body);
  t1.join();
  t2.join();
  done.wait();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, (2 * kPerHub + 2) * kRounds);
}

// A held mutex times a waiter out on a hub and on a thread, and leaves it unheld by them.
TEST(MutexTest, LockTimesOut) {
  HubThread a;
  Mutex mutex;
  ASSERT_TRUE(mutex.Lock(In(1s)).ok());
  EXPECT_EQ(mutex.Lock(In(20ms)).code(), absl::StatusCode::kDeadlineExceeded);
  std::latch done(1);
  absl::Status on_hub;
  a.Spawn([&] {
    on_hub = mutex.Lock(In(20ms));
    done.count_down();
  });
  done.wait();
  EXPECT_EQ(on_hub.code(), absl::StatusCode::kDeadlineExceeded);
  mutex.Unlock();
  EXPECT_TRUE(mutex.Lock(In(1s)).ok());
  mutex.Unlock();
}

}  // namespace
}  // namespace corral::cooperative
