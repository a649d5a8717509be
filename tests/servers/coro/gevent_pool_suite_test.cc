// Pool held to the behaviour gevent's src/gevent/tests/test__pool.py checks. Each case names the
// Python test whose behaviour it checks; the code is Corral's own.
#include <chrono>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "servers/coro/hub.h"
#include "servers/coro/pool.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// test__pool.py, PoolBasicTests.test_execute_async / test_apply: a task spawned through the pool
// runs and yields its value.
TEST(GeventPoolSuiteTest, ExecuteAsync) {
  InFreshThread([] {
    Pool pool(2);
    auto h = pool.Spawn([](int x) { return x + 1; }, 1);
    EXPECT_EQ(h.Get(), 2);
    EXPECT_TRUE(pool.Join(10s));
    EXPECT_EQ(pool.running(), 0u);
  });
}

// test__pool.py, PoolBasicTests.test_add_method: Spawn on a full pool parks the spawner until a
// task of the pool finishes.
TEST(GeventPoolSuiteTest, SpawnParksWhileFull) {
  InFreshThread([] {
    Pool pool(1);
    Event release;
    auto first = pool.Spawn([&] { release.Wait(); });
    bool second_spawned = false;
    auto spawner = Spawn([&] {
      pool.Spawn([] {});
      second_spawned = true;
    });
    Sleep(5ms);
    EXPECT_FALSE(second_spawned);
    EXPECT_TRUE(pool.full());
    release.Set();
    spawner.Join();
    EXPECT_TRUE(second_spawned);
    EXPECT_TRUE(pool.Join(10s));
  });
}

// test__pool.py, PoolBasicTests.test_add_method_timeout / test_start_method_timeout: a Spawn
// parked on a full pool raises an enclosing Timeout, and spawns nothing.
TEST(GeventPoolSuiteTest, SpawnTimeout) {
  InFreshThread([] {
    Pool pool(1);
    Event release;
    pool.Spawn([&] { release.Wait(); });
    bool ran = false;
    EXPECT_FALSE(WithTimeout(5ms, [&] { pool.Spawn([&] { ran = true; }); }));
    EXPECT_EQ(pool.running(), 1u);
    release.Set();
    EXPECT_TRUE(pool.Join(10s));
    EXPECT_FALSE(ran);
  });
}

// test__pool.py, TestJoinEmpty.test: Join on an empty pool returns at once.
TEST(GeventPoolSuiteTest, JoinEmpty) {
  InFreshThread([] {
    Pool pool(1);
    EXPECT_TRUE(pool.Join(0ms));
  });
}

// test__pool.py, TestJoinSleep (AbstractGenericWaitTestCase): Join with a deadline while a task
// sleeps returns false and leaves it running.
TEST(GeventPoolSuiteTest, JoinSleepTimesOut) {
  InFreshThread([] {
    Pool pool(2);
    pool.Spawn([] { Sleep(1h); });
    EXPECT_FALSE(pool.Join(10ms));
    EXPECT_EQ(pool.running(), 1u);
    EXPECT_TRUE(pool.Kill(10s));
  });
}

// test__pool.py, TestSpawn.test: running() and free_count() follow the tasks of the pool as they
// start and finish.
TEST(GeventPoolSuiteTest, SpawnCountsRunning) {
  InFreshThread([] {
    Pool pool(2);
    Event release_a, release_b;
    EXPECT_EQ(pool.free_count(), 2u);
    auto a = pool.Spawn([&] { release_a.Wait(); });
    EXPECT_EQ(pool.running(), 1u);
    auto b = pool.Spawn([&] { release_b.Wait(); });
    EXPECT_EQ(pool.free_count(), 0u);
    release_a.Set();
    a.Join();
    EXPECT_EQ(pool.running(), 1u);
    release_b.Set();
    b.Join();
    EXPECT_EQ(pool.running(), 0u);
  });
}

// test__pool.py, TestPool.test_terminate: Kill ends every running task of the pool.
TEST(GeventPoolSuiteTest, Terminate) {
  InFreshThread([] {
    Pool pool(3);
    std::vector<AnyHandle> hs;
    for (int i = 0; i < 3; ++i) hs.push_back(pool.Spawn([] { Sleep(1h); }));
    Yield();
    EXPECT_TRUE(pool.Kill(10s));
    for (const AnyHandle& h : hs) EXPECT_TRUE(h.killed());
    EXPECT_EQ(pool.running(), 0u);
  });
}

// test__pool.py, TestErrorInHandler / TestCoroutinePool.test_apply_raises: a task that throws
// frees its slot and does not disturb the pool; its error stays in its handle.
TEST(GeventPoolSuiteTest, ErrorInHandler) {
  InFreshThread([] {
    Pool pool(1);
    auto bad = pool.Spawn([]() -> int { throw std::runtime_error("handler"); });
    auto good = pool.Spawn([] { return 3; });  // parks until `bad` has freed the slot
    EXPECT_THROW(bad.Get(), std::runtime_error);
    EXPECT_EQ(good.Get(), 3);
    EXPECT_TRUE(pool.Join(10s));
  });
}

}  // namespace
}  // namespace corral::coro
