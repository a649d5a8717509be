#include "servers/coro/pool.h"

#include <chrono>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

TEST(PoolTest, BoundsConcurrentTasks) {
  InFreshThread([] {
    Pool pool(3);
    int running = 0, max_running = 0;
    std::vector<Handle<int>> handles;
    for (int i = 0; i < 10; ++i) {
      handles.push_back(pool.Spawn([&, i] {
        ++running;
        max_running = std::max(max_running, running);
        Sleep(2ms);
        --running;
        return i * i;
      }));
      EXPECT_LE(pool.running(), 3u);
    }
    EXPECT_TRUE(pool.Join(10s));
    EXPECT_EQ(max_running, 3);
    EXPECT_EQ(pool.running(), 0u);
    EXPECT_EQ(pool.free_count(), 3u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(handles[static_cast<size_t>(i)].Get(), i * i);
  });
}

TEST(PoolTest, SpawnParksWhileFull) {
  InFreshThread([] {
    Pool pool(1);
    pool.Spawn([] { Sleep(20ms); });
    EXPECT_TRUE(pool.full());
    const auto start = Clock::now();
    pool.Spawn([] {});  // waits for the first to finish
    EXPECT_GE(Clock::now() - start, 20ms);
    EXPECT_TRUE(pool.Join(10s));
  });
}

TEST(PoolTest, JoinTimesOutAndKillStopsEverything) {
  InFreshThread([] {
    Pool pool(4);
    for (int i = 0; i < 4; ++i) pool.Spawn([] { Sleep(1h); });
    EXPECT_FALSE(pool.Join(20ms));
    EXPECT_EQ(pool.running(), 4u);
    EXPECT_TRUE(pool.Kill(10s));
    EXPECT_EQ(pool.running(), 0u);
    EXPECT_EQ(pool.free_count(), 4u);
  });
}

TEST(PoolTest, FailingTaskFreesItsSlot) {
  InFreshThread([] {
    Pool pool(1);
    auto h = pool.Spawn([]() -> int { throw std::runtime_error("no"); });
    EXPECT_THROW(h.Get(), std::runtime_error);
    EXPECT_TRUE(pool.Join(10s));
    EXPECT_EQ(pool.free_count(), 1u);
  });
}

TEST(PoolTest, DestroyingThePoolKillsItsTasks) {
  InFreshThread([] {
    AnyHandle h;
    {
      Pool pool(2);
      h = pool.Spawn([] { Sleep(1h); });
      Sleep(1ms);
    }
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.killed());
  });
}

// gevent test__pool.py, TestPool0.test_wait_full (a Pool of size 0 is always full): Pool(0) never
// has a free slot, so Spawn parks until its caller gives up (here a Timeout); nothing is spawned.
TEST(PoolTest, CapacityZeroIsAlwaysFull) {
  InFreshThread([] {
    Pool pool(0);
    EXPECT_EQ(pool.capacity(), 0u);
    EXPECT_TRUE(pool.full());
    EXPECT_EQ(pool.free_count(), 0u);
    bool ran = false;
    EXPECT_FALSE(WithTimeout(Deadline(5ms), [&] { pool.Spawn([&] { ran = true; }); }));
    Yield();
    EXPECT_FALSE(ran);
    EXPECT_EQ(pool.running(), 0u);
  });
}

}  // namespace
}  // namespace corral::coro
