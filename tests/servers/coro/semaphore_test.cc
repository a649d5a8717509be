#include "servers/coro/semaphore.h"

#include <chrono>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

TEST(SemaphoreTest, BoundsConcurrency) {
  InFreshThread([] {
    Semaphore sem(2);
    int inside = 0, max_inside = 0;
    std::vector<AnyHandle> all;
    for (int i = 0; i < 6; ++i) {
      all.push_back(Spawn([&] {
        EXPECT_TRUE(sem.Acquire());
        ++inside;
        max_inside = std::max(max_inside, inside);
        Sleep(2ms);
        --inside;
        sem.Release();
      }));
    }
    JoinAll(all);
    EXPECT_EQ(max_inside, 2);
    EXPECT_EQ(sem.available(), 2u);
  });
}

TEST(SemaphoreTest, AcquireTimesOut) {
  InFreshThread([] {
    Semaphore sem(1);
    EXPECT_TRUE(sem.TryAcquire());
    EXPECT_TRUE(sem.locked());
    EXPECT_FALSE(sem.TryAcquire());
    const auto start = Clock::now();
    EXPECT_FALSE(sem.Acquire(20ms));
    EXPECT_GE(Clock::now() - start, 20ms);
    sem.Release();
    EXPECT_TRUE(sem.Acquire(0ms));
  });
}

TEST(SemaphoreTest, WaitersAreServedInOrder) {
  InFreshThread([] {
    Semaphore sem(0);
    std::vector<int> order;
    std::vector<AnyHandle> all;
    for (int i = 0; i < 4; ++i) {
      all.push_back(Spawn([&, i] {
        sem.Acquire();
        order.push_back(i);
      }));
    }
    Sleep(1ms);
    for (int i = 0; i < 4; ++i) sem.Release();
    JoinAll(all);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  });
}

TEST(SemaphoreTest, KilledWaiterDoesNotSwallowARelease) {
  InFreshThread([] {
    Semaphore sem(0);
    auto first = Spawn([&] { sem.Acquire(); });
    bool second_got_it = false;
    auto second = Spawn([&] { second_got_it = sem.Acquire(10s); });
    Sleep(1ms);
    sem.Release();                // notifies `first` ...
    first.Kill(/*block=*/false);  // ... which dies before it can take the permit
    second.Join();
    EXPECT_TRUE(first.killed());
    EXPECT_TRUE(second_got_it);
  });
}

}  // namespace
}  // namespace corral::coro
