// Event held to the behaviour gevent's src/gevent/tests/test__event.py checks. Each case names the
// Python test whose behaviour it checks; the code is Corral's own.
#include <chrono>
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

// test__event.py, TestEventWait (AbstractGenericWaitTestCase): Wait with a deadline on an Event
// nobody sets returns false once the deadline has passed.
TEST(GeventEventSuiteTest, WaitTimesOut) {
  InFreshThread([] {
    Event ev;
    const auto start = Clock::now();
    EXPECT_FALSE(ev.Wait(20ms));
    EXPECT_GE(Clock::now() - start, 20ms);
  });
}

// test__event.py, TestEventWait (interrupted form): a Wait under a Timeout raises it.
TEST(GeventEventSuiteTest, WaitInterruptedByTimeout) {
  InFreshThread([] {
    Event ev;
    EXPECT_FALSE(WithTimeout(10ms, [&] { ev.Wait(); }));
    EXPECT_FALSE(ev.is_set());
  });
}

// test__event.py, TestGeventWaitOnEvent.test_set_during_wait: a Set made while the caller waits
// wakes it with true.
TEST(GeventEventSuiteTest, SetDuringWait) {
  InFreshThread([] {
    Event ev;
    auto setter = Spawn([&] {
      Sleep(1ms);
      ev.Set();
    });
    EXPECT_TRUE(ev.Wait(10s));
    setter.Join();
  });
}

// test__event.py, TestEvent_SetThenClear (and 100 / 1000): Set immediately followed by Clear
// still wakes every waiter that was there, each with true.
TEST(GeventEventSuiteTest, SetThenClearWakesEveryWaiter) {
  for (int n : {1, 100, 1000}) {
    InFreshThread([n] {
      Event ev;
      int woke_true = 0;
      std::vector<AnyHandle> waiters;
      for (int i = 0; i < n; ++i) {
        waiters.push_back(Spawn([&] {
          if (ev.Wait(10s)) ++woke_true;
        }));
      }
      Yield();  // all of them wait
      ev.Set();
      ev.Clear();
      JoinAll(waiters);
      EXPECT_EQ(woke_true, n);
      EXPECT_FALSE(ev.is_set());
    });
  }
}

// test__event.py, TestEventBasics.test_gevent_wait_twice_when_already_set: waits on a set Event
// pass at once, any number of times.
TEST(GeventEventSuiteTest, WaitTwiceWhenAlreadySet) {
  InFreshThread([] {
    Event ev;
    ev.Set();
    EXPECT_TRUE(ev.Wait(0ms));
    EXPECT_TRUE(ev.Wait(0ms));
    EXPECT_TRUE(ev.is_set());
  });
}

// test__event.py, TestWait (count1 / count2, gevent.wait on events): waiters on two Events wake
// only for the one that is set.
TEST(GeventEventSuiteTest, OnlyTheSetEventWakes) {
  InFreshThread([] {
    Event a, b;
    bool a_woke = false, b_woke = false;
    auto wa = Spawn([&] { a_woke = a.Wait(10s); });
    auto wb = Spawn([&] { b_woke = b.Wait(50ms); });
    Yield();
    a.Set();
    wa.Join();
    wb.Join();
    EXPECT_TRUE(a_woke);
    EXPECT_FALSE(b_woke);
  });
}

}  // namespace
}  // namespace corral::coro
