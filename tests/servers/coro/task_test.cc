#include "servers/coro/task.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

TEST(TaskTest, GetReturnsTheValue) {
  InFreshThread([] {
    auto h = Spawn([](int a, std::string b) { return b + std::to_string(a); }, 7, "x");
    EXPECT_FALSE(h.ready());
    EXPECT_EQ(h.Get(), "x7");
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.successful());
    EXPECT_FALSE(h.killed());
    EXPECT_EQ(h.exception(), nullptr);
  });
}

TEST(TaskTest, ExceptionIsStoredAndRethrownByGet) {
  InFreshThread([] {
    auto h = Spawn([]() -> int { throw std::invalid_argument("bad"); });
    EXPECT_TRUE(h.Join());
    EXPECT_TRUE(h.ready());
    EXPECT_FALSE(h.successful());
    EXPECT_NE(h.exception(), nullptr);
    EXPECT_THROW(h.Get(), std::invalid_argument);
  });
}

TEST(TaskTest, KillRaisesGreenletExitAtTheBlockingPoint) {
  InFreshThread([] {
    int cleaned = 0;
    bool after_sleep = false;
    auto h = Spawn([&] {
      struct Cleanup {
        int* n;
        ~Cleanup() { ++*n; }
      } c{&cleaned};
      Sleep(1h);
      after_sleep = true;
    });
    Sleep(1ms);  // let it park
    EXPECT_TRUE(h.Kill());
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.killed());
    EXPECT_TRUE(h.successful());  // as in gevent
    EXPECT_FALSE(after_sleep);
    EXPECT_EQ(cleaned, 1);
    EXPECT_THROW(h.Get(), TaskKilled);
  });
}

TEST(TaskTest, KillBeforeStartMeansItNeverRuns) {
  InFreshThread([] {
    bool ran = false;
    auto h = Spawn([&] { ran = true; });
    EXPECT_TRUE(h.Kill());
    EXPECT_FALSE(ran);
    EXPECT_TRUE(h.killed());
  });
}

TEST(TaskTest, KillWithoutBlockReturnsAtOnce) {
  InFreshThread([] {
    auto h = Spawn([] { Sleep(1h); });
    Sleep(1ms);
    EXPECT_FALSE(h.Kill(/*block=*/false));
    EXPECT_FALSE(h.ready());
    EXPECT_TRUE(h.Join(10s));
    EXPECT_TRUE(h.killed());
  });
}

TEST(TaskTest, GreenletExitWithValueIsTheResult) {
  InFreshThread([] {
    auto h = Spawn([]() -> int { throw GreenletExit(5); });
    EXPECT_EQ(h.Get(), 5);
    EXPECT_TRUE(h.killed());
  });
}

TEST(TaskTest, ManyJoinersAllWake) {
  InFreshThread([] {
    Event go;
    auto target = Spawn([&] {
      go.Wait();
      return 3;
    });
    int woken = 0;
    std::vector<AnyHandle> joiners;
    for (int i = 0; i < 10; ++i) {
      joiners.push_back(Spawn([&] { woken += target.Get(); }));
    }
    Sleep(1ms);
    EXPECT_EQ(woken, 0);
    go.Set();
    JoinAll(joiners);
    EXPECT_EQ(woken, 30);
  });
}

TEST(TaskTest, SpawnLaterStartsAfterTheDelay) {
  InFreshThread([] {
    const auto start = Clock::now();
    auto h = SpawnLater(20ms, [&] { return Clock::now() - start; });
    EXPECT_GE(h.Get(), 20ms);
  });
}

TEST(TaskTest, KillingSpawnLaterBeforeItIsDue) {
  InFreshThread([] {
    bool ran = false;
    auto h = SpawnLater(1h, [&] { ran = true; });
    EXPECT_TRUE(h.Kill(true, 10s));
    EXPECT_FALSE(ran);
  });
}

TEST(TaskTest, DoneCallbacksRun) {
  InFreshThread([] {
    std::vector<int> seen;
    auto h = Spawn([] { return 1; });
    h.task()->AddDoneCallback([&](Task& t) { seen.push_back(t.ready() ? 1 : 0); });
    h.Join();
    h.task()->AddDoneCallback([&](Task&) { seen.push_back(2); });  // already done: now
    EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  });
}

TEST(TaskTest, DroppedHandleKeepsRunning) {
  InFreshThread([] {
    Event done;
    Spawn([&] {
      Sleep(1ms);
      done.Set();
    });
    EXPECT_TRUE(done.Wait(10s));
  });
}

TEST(JoinAllTest, ReturnsOnlyFinishedOnesAtTheDeadline) {
  InFreshThread([] {
    auto fast = Spawn([] { Sleep(1ms); });
    auto slow = Spawn([] { Sleep(1h); });
    const auto start = Clock::now();
    std::vector<AnyHandle> done = JoinAll({fast, slow}, 30ms);
    EXPECT_GE(Clock::now() - start, 30ms);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0], fast);
    slow.Kill();
  });
}

TEST(JoinAllTest, OrderIsCompletionOrder) {
  InFreshThread([] {
    auto a = Spawn([] { Sleep(20ms); });
    auto b = Spawn([] { Sleep(1ms); });
    auto c = Spawn([] {});
    c.Join();
    std::vector<AnyHandle> done = JoinAll({a, b, c});
    ASSERT_EQ(done.size(), 3u);
    EXPECT_EQ(done[0], c);  // already finished
    EXPECT_EQ(done[1], b);
    EXPECT_EQ(done[2], a);
  });
}

TEST(JoinAllTest, RaiseErrorStopsAtFirstFailure) {
  InFreshThread([] {
    auto ok = Spawn([] { Sleep(1h); });
    auto bad = Spawn([] {
      Sleep(1ms);
      throw std::runtime_error("failed");
    });
    EXPECT_THROW(JoinAll({ok, bad}, 10s, /*raise_error=*/true), std::runtime_error);
    EXPECT_FALSE(ok.ready());
    std::vector<AnyHandle> without = JoinAll({bad}, 10s, /*raise_error=*/false);
    EXPECT_EQ(without.size(), 1u);
    ok.Kill();
  });
}

// gevent test__greenlet.py (TestStart / TestRef.test_kill_scheduled: a greenlet killed before
// it starts is dead and ready at once, its links run): Kill(block=false) needs no hub turn.
TEST(TaskTest, KillWithoutBlockBeforeStartFinishesAtOnce) {
  InFreshThread([] {
    bool ran = false;
    bool called_back = false;
    auto h = Spawn([&] { ran = true; });
    h.task()->AddDoneCallback([&](Task&) { called_back = true; });
    EXPECT_TRUE(h.Kill(/*block=*/false));
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.killed());
    EXPECT_TRUE(h.task()->dead());
    EXPECT_TRUE(called_back);
    Yield();
    EXPECT_FALSE(ran);
  });
}

// The same for a SpawnLater task that is not due yet.
TEST(TaskTest, KillWithoutBlockOfSpawnLaterFinishesAtOnce) {
  InFreshThread([] {
    bool ran = false;
    auto h = SpawnLater(1h, [&] { ran = true; });
    EXPECT_TRUE(h.Kill(/*block=*/false));
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.killed());
    Yield();
    EXPECT_FALSE(ran);
  });
}

}  // namespace
}  // namespace corral::coro
