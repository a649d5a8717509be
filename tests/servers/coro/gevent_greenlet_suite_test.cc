// Spawned tasks held to the behaviour gevent's src/gevent/tests/test__greenlet.py and
// test__joinall.py check. Each case names the Python test whose behaviour it checks; the code is
// Corral's own.
#include <any>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// test__greenlet.py, TestBasic.test_simple_exit: a task that returns is ready, successful, and
// Get() gives its value.
TEST(GeventGreenletSuiteTest, SimpleExit) {
  InFreshThread([] {
    auto h = Spawn([] {
      Sleep(1ms);
      return std::string("ok");
    });
    EXPECT_FALSE(h.ready());
    EXPECT_TRUE(h.Join());
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.successful());
    EXPECT_FALSE(h.killed());
    EXPECT_EQ(h.Get(), "ok");
  });
}

// test__greenlet.py, TestBasic.test_error_exit: a task that throws is ready, not successful, its
// exception stored and re-thrown by Get(), and nothing reaches the spawner by itself.
TEST(GeventGreenletSuiteTest, ErrorExit) {
  InFreshThread([] {
    auto h = Spawn([]() -> int {
      Sleep(1ms);
      throw std::runtime_error("expected");
    });
    EXPECT_TRUE(h.Join());
    EXPECT_FALSE(h.successful());
    ASSERT_NE(h.exception(), nullptr);
    EXPECT_THROW(h.Get(), std::runtime_error);
  });
}

// test__greenlet.py, TestStart / TestRef.test_init: Spawn only schedules; the task first runs
// when the spawner blocks or yields.
TEST(GeventGreenletSuiteTest, SpawnRunsOnlyAfterTheSpawnerYields) {
  InFreshThread([] {
    bool ran = false;
    auto h = Spawn([&] { ran = true; });
    EXPECT_FALSE(ran);
    Yield();
    EXPECT_TRUE(ran);
    EXPECT_TRUE(h.ready());
  });
}

// test__greenlet.py, TestKill.test_block (TestKillAfterStart): Kill blocks until the task is
// dead; its cleanup has run.
TEST(GeventGreenletSuiteTest, KillBlock) {
  InFreshThread([] {
    bool cleaned = false;
    auto h = Spawn([&] {
      try {
        Sleep(1h);
      } catch (const GreenletExit&) {
        cleaned = true;
        throw;
      }
    });
    Yield();
    EXPECT_TRUE(h.Kill());
    EXPECT_TRUE(cleaned);
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.killed());
    EXPECT_TRUE(h.successful());
  });
}

// test__greenlet.py, TestKill.test_non_block: Kill(block=false) returns before the task has
// died; it dies at the next loop turn.
TEST(GeventGreenletSuiteTest, KillNonBlock) {
  InFreshThread([] {
    auto h = Spawn([] { Sleep(1h); });
    Yield();
    EXPECT_FALSE(h.Kill(/*block=*/false));
    EXPECT_FALSE(h.ready());
    EXPECT_TRUE(h.Join(10s));
    EXPECT_TRUE(h.killed());
  });
}

// test__greenlet.py, TestKillAfterStartLater: a SpawnLater task killed before it is due never
// runs, and is finished when Kill returns, even without block.
TEST(GeventGreenletSuiteTest, KillBeforeStartLater) {
  InFreshThread([] {
    bool ran = false;
    auto h = SpawnLater(50ms, [&] { ran = true; });
    h.Kill(/*block=*/false);
    EXPECT_TRUE(h.ready());
    EXPECT_TRUE(h.killed());
    Sleep(100ms);
    EXPECT_FALSE(ran);
  });
}

// test__greenlet.py, TestRef.test_kill_started: killing a started task that dropped every handle
// still ends it (the hub held it alive; Kill through a kept handle finishes it).
TEST(GeventGreenletSuiteTest, KillStarted) {
  InFreshThread([] {
    int steps = 0;
    auto h = Spawn([&] {
      for (;;) {
        ++steps;
        Sleep(1ms);
      }
    });
    Sleep(5ms);
    EXPECT_GT(steps, 0);
    EXPECT_TRUE(h.Kill(true, 10s));
    int at_kill = steps;
    Sleep(5ms);
    EXPECT_EQ(steps, at_kill);
  });
}

// test__greenlet.py, TestKillWhileRunning: a task killing itself gets GreenletExit at once and
// ends killed.
TEST(GeventGreenletSuiteTest, KillWhileRunning) {
  InFreshThread([] {
    bool after = false;
    AnyHandle self;
    auto h = Spawn([&] {
      Yield();
      self.Kill();
      after = true;
    });
    self = h;
    EXPECT_TRUE(h.Join(10s));
    EXPECT_FALSE(after);
    EXPECT_TRUE(h.killed());
  });
}

// test__greenlet.py, TestUnlink.test_func_link / TestReturn_link.test_return: a done callback
// runs once when the task finishes, and sees its value.
TEST(GeventGreenletSuiteTest, FuncLinkValue) {
  InFreshThread([] {
    std::vector<int> seen;
    auto h = Spawn([] {
      Sleep(1ms);
      return 5;
    });
    h.task()->AddDoneCallback([&](Task& t) { seen.push_back(t.successful() ? 5 : -1); });
    h.Join();
    EXPECT_EQ(seen, (std::vector<int>{5}));
    // Added after it finished: runs right away.
    h.task()->AddDoneCallback([&](Task&) { seen.push_back(6); });
    EXPECT_EQ(seen, (std::vector<int>{5, 6}));
  });
}

// test__greenlet.py, TestRaise_link_exception / TestUnlink.test_func_link_exception: the done
// callback of a failing task sees the exception.
TEST(GeventGreenletSuiteTest, FuncLinkException) {
  InFreshThread([] {
    bool saw_error = false;
    auto h = Spawn([] {
      Sleep(1ms);
      throw std::runtime_error("x");
    });
    h.task()->AddDoneCallback([&](Task& t) { saw_error = t.exception() != nullptr; });
    h.Join();
    EXPECT_TRUE(saw_error);
  });
}

// test__greenlet.py, TestReturn_link.test_kill: a killed task's done callback runs, with the task
// marked killed.
TEST(GeventGreenletSuiteTest, LinkOnKill) {
  InFreshThread([] {
    bool saw_killed = false;
    auto h = Spawn([] { Sleep(1h); });
    h.task()->AddDoneCallback([&](Task& t) { saw_killed = t.killed(); });
    Yield();
    h.Kill();
    EXPECT_TRUE(saw_killed);
  });
}

// test__greenlet.py, TestJoin (AbstractGenericWaitTestCase): Join with a deadline on a task that
// does not finish returns false after the deadline, leaving the task running.
TEST(GeventGreenletSuiteTest, JoinTimesOut) {
  InFreshThread([] {
    auto h = Spawn([] { Sleep(1h); });
    const auto start = Clock::now();
    EXPECT_FALSE(h.Join(20ms));
    EXPECT_GE(Clock::now() - start, 20ms);
    EXPECT_FALSE(h.ready());
    h.Kill();
  });
}

// test__greenlet.py, TestGet (AbstractGenericGetTestCase): Get under a Timeout on a task that
// does not finish raises the timeout.
TEST(GeventGreenletSuiteTest, GetInterruptedByTimeout) {
  InFreshThread([] {
    auto h = Spawn([] { Sleep(1h); });
    EXPECT_FALSE(WithTimeout(20ms, [&] { h.Get(); }));
    EXPECT_FALSE(h.ready());
    h.Kill();
  });
}

// test__greenlet.py, TestDeadPropertyDuringSwitch.test_dead_is_false_for_current_greenlet_during
// _switch: a running task is not ready from its own point of view.
TEST(GeventGreenletSuiteTest, NotReadyWhileRunning) {
  InFreshThread([] {
    bool ready_inside = true;
    AnyHandle self;
    auto h = Spawn([&] {
      Yield();
      ready_inside = self.ready() || !Greenlet::Current()->active();
    });
    self = h;
    h.Join();
    EXPECT_FALSE(ready_inside);
  });
}

// test__greenlet.py, TestStuff.test_wait_noerrors and test__joinall.py: JoinAll waits for every
// task and returns them in the order they finished.
TEST(GeventGreenletSuiteTest, JoinAllNoErrors) {
  InFreshThread([] {
    auto slow = Spawn([] { Sleep(30ms); });
    auto fast = Spawn([] { Sleep(1ms); });
    auto mid = Spawn([] { Sleep(10ms); });
    std::vector<AnyHandle> done = JoinAll({slow, fast, mid});
    ASSERT_EQ(done.size(), 3u);
    EXPECT_EQ(done[0], AnyHandle(fast));
    EXPECT_EQ(done[1], AnyHandle(mid));
    EXPECT_EQ(done[2], AnyHandle(slow));
  });
}

// test__greenlet.py, TestStuff.test_wait_error / test_joinall_exception_order: JoinAll with
// raise_error re-throws the first failure, in finishing order.
TEST(GeventGreenletSuiteTest, JoinAllRaisesFirstError) {
  InFreshThread([] {
    Event late;
    auto ok = Spawn([] { Sleep(1ms); });
    auto late_error = Spawn([&] {
      late.Wait();
      throw std::logic_error("late");
    });
    auto early_error = Spawn([] {
      Sleep(5ms);
      throw std::runtime_error("early");
    });
    EXPECT_THROW(JoinAll({ok, late_error, early_error}, Deadline::Never(), true),
                 std::runtime_error);
    EXPECT_TRUE(ok.ready());
    EXPECT_FALSE(late_error.ready());
    late.Set();
    EXPECT_THROW(late_error.Get(), std::logic_error);
  });
}

// test__greenlet.py, TestJoinAll0: JoinAll of nothing returns at once with nothing.
TEST(GeventGreenletSuiteTest, JoinAllEmpty) {
  InFreshThread([] { EXPECT_TRUE(JoinAll({}).empty()); });
}

// test__greenlet.py, TestJoinAll (AbstractGenericWaitTestCase): with a deadline, JoinAll returns
// only the tasks that finished by then.
TEST(GeventGreenletSuiteTest, JoinAllTimeout) {
  InFreshThread([] {
    auto done = Spawn([] {});
    auto never = Spawn([] { Sleep(1h); });
    std::vector<AnyHandle> got = JoinAll({done, never}, 20ms);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], AnyHandle(done));
    never.Kill();
  });
}

}  // namespace
}  // namespace corral::coro
