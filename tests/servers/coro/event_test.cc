#include "servers/coro/event.h"

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

TEST(EventTest, SetWakesAllWaiters) {
  InFreshThread([] {
    Event e;
    int woken = 0;
    std::vector<AnyHandle> waiters;
    for (int i = 0; i < 5; ++i) {
      waiters.push_back(Spawn([&] {
        EXPECT_TRUE(e.Wait());
        ++woken;
      }));
    }
    Sleep(1ms);
    EXPECT_EQ(woken, 0);
    e.Set();
    JoinAll(waiters);
    EXPECT_EQ(woken, 5);
  });
}

TEST(EventTest, WaitOnSetEventReturnsAtOnceUntilCleared) {
  InFreshThread([] {
    Event e;
    e.Set();
    EXPECT_TRUE(e.is_set());
    EXPECT_TRUE(e.Wait(Deadline(Clock::time_point())));  // already past: no parking needed
    e.Clear();
    EXPECT_FALSE(e.is_set());
    EXPECT_FALSE(e.Wait(10ms));
  });
}

TEST(EventTest, SetThenClearBeforeWaiterRunsStillReportsSet) {
  InFreshThread([] {
    Event e;
    bool result = false;
    auto w = Spawn([&] { result = e.Wait(10s); });
    Sleep(1ms);
    e.Set();
    e.Clear();
    w.Join();
    EXPECT_TRUE(result);
  });
}

TEST(EventTest, DestroyingAnEventWithWaitersDetachesThem) {
  InFreshThread([] {
    AnyHandle waiter;
    {
      Event e;
      waiter = Spawn([&] { e.Wait(); });
      Sleep(1ms);
    }  // `e` is gone; the waiter still parks, harmlessly
    EXPECT_FALSE(waiter.ready());
    EXPECT_TRUE(waiter.Kill(true, 10s));
  });
}

// gevent test__event.py, TestEventBasics.test_wait_while_notifying: a Wait() on an Event that
// is set while earlier waiters are still to be woken returns after them, not before.
TEST(EventTest, WaitOnSetEventRunsAfterWaitersNotifiedEarlier) {
  InFreshThread([] {
    Event e;
    std::vector<int> order;
    auto wait_then_append = [&](int n) {
      e.Wait();
      order.push_back(n);
    };
    auto a = Spawn(wait_then_append, 1);
    auto b = Spawn(wait_then_append, 2);
    Yield();  // both park
    e.Set();
    wait_then_append(3);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    JoinAll({a, b});
  });
}

// The hub's own stack cannot yield: there, Wait on a set Event still returns true at once even
// while earlier waiters are being woken (a set Event never blocked a RunInLoop callback).
TEST(EventTest, WaitOnSetEventFromTheHubStackDoesNotYield) {
  InFreshThread([] {
    Event e;
    auto waiter = Spawn([&] { e.Wait(); });
    Yield();  // the waiter parks
    bool result = false;
    Hub::Current().RunInLoop([&] {
      e.Set();
      result = e.Wait();
    });
    EXPECT_TRUE(waiter.Join(Deadline(10s)));
    EXPECT_TRUE(result);
  });
}

}  // namespace
}  // namespace corral::coro
