// Queue held to the behaviour gevent's src/gevent/tests/test__queue.py checks. Each case names the
// Python test whose behaviour it checks; the code is Corral's own. gevent's Channel (Queue(0) as a
// rendezvous) is deliberately absent: Corral's Queue(0) is unbounded (queue.h).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/queue.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// test__queue.py, TestQueue.test_send_first: items put first are got later, in order.
TEST(GeventQueueSuiteTest, SendFirst) {
  InFreshThread([] {
    Queue<std::string> q;
    q.Put("hi");
    q.Put("there");
    EXPECT_EQ(q.Get(), "hi");
    EXPECT_EQ(q.Get(), "there");
  });
}

// test__queue.py, UsesOnlyOneItemMixin.test_send_last: a getter parked on an empty queue gets the
// item a later Put brings.
TEST(GeventQueueSuiteTest, SendLast) {
  InFreshThread([] {
    Queue<int> q;
    auto getter = Spawn([&] { return *q.Get(10s); });
    Yield();
    q.Put(7);
    EXPECT_EQ(getter.Get(), 7);
  });
}

// test__queue.py, UsesOnlyOneItemMixin.test_put_nowait_simple / test_get_nowait_simple: the
// non-blocking calls fail on a full or empty queue instead of parking.
TEST(GeventQueueSuiteTest, NowaitSimple) {
  InFreshThread([] {
    Queue<int> q(1);
    EXPECT_FALSE(q.TryGet().has_value());
    EXPECT_TRUE(q.TryPut(1));
    EXPECT_FALSE(q.TryPut(2));
    EXPECT_EQ(q.TryGet(), 1);
    EXPECT_TRUE(q.empty());
  });
}

// test__queue.py, UsesOnlyOneItemMixin.test_put_nowait_unlock / test_get_nowait_unlock: a
// non-blocking call hands over to a greenlet parked on the other side.
TEST(GeventQueueSuiteTest, NowaitUnlocks) {
  InFreshThread([] {
    Queue<int> q(1);
    auto getter = Spawn([&] { return *q.Get(10s); });
    Yield();
    EXPECT_TRUE(q.TryPut(3));
    EXPECT_EQ(getter.Get(), 3);
    q.Put(4);
    auto putter = Spawn([&] { return q.Put(5, 10s); });
    Yield();
    EXPECT_EQ(q.TryGet(), 4);
    EXPECT_TRUE(putter.Get());
    EXPECT_EQ(q.TryGet(), 5);
  });
}

// test__queue.py, TestQueue.test_max_size: a Put on a full queue parks until a Get makes room.
TEST(GeventQueueSuiteTest, MaxSize) {
  InFreshThread([] {
    Queue<int> q(2);
    std::vector<int> puts;
    auto putter = Spawn([&] {
      for (int i = 1; i <= 3; ++i) {
        q.Put(i);
        puts.push_back(i);
      }
    });
    Sleep(5ms);
    EXPECT_EQ(puts, (std::vector<int>{1, 2}));  // the third waits for room
    EXPECT_EQ(q.Get(), 1);
    putter.Join();
    EXPECT_EQ(puts, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(q.size(), 2u);
  });
}

// test__queue.py, TestQueue.test_multiple_waiters: parked getters are served in the order they
// came.
TEST(GeventQueueSuiteTest, MultipleWaitersServedInOrder) {
  InFreshThread([] {
    Queue<int> q;
    std::vector<int> got(3, -1);
    std::vector<AnyHandle> getters;
    for (int i = 0; i < 3; ++i) getters.push_back(Spawn([&, i] { got[i] = *q.Get(10s); }));
    Yield();
    for (int v : {10, 11, 12}) q.Put(v);
    JoinAll(getters);
    EXPECT_EQ(got, (std::vector<int>{10, 11, 12}));
  });
}

// test__queue.py, TestQueue.test_waiters_that_cancel: a getter that gave up (deadline) does not
// swallow a later item; it goes to a getter still waiting.
TEST(GeventQueueSuiteTest, WaitersThatCancel) {
  InFreshThread([] {
    Queue<int> q;
    auto quitter = Spawn([&] { return q.Get(1ms); });
    auto stayer = Spawn([&] { return q.Get(10s); });
    quitter.Join();
    EXPECT_FALSE(quitter.Get().has_value());
    q.Put(9);
    EXPECT_EQ(stayer.Get(), 9);
  });
}

// test__queue.py, TestQueue.test_senders_that_die: a putter killed while parked does not leave its
// item in the queue, and the next putter's item gets through.
TEST(GeventQueueSuiteTest, SendersThatDie) {
  InFreshThread([] {
    Queue<int> q(1);
    q.Put(0);
    auto dying = Spawn([&] { q.Put(1); });
    auto living = Spawn([&] { q.Put(2); });
    Yield();
    dying.Kill();
    EXPECT_EQ(q.Get(), 0);
    living.Join();
    EXPECT_EQ(q.Get(), 2);
    EXPECT_TRUE(q.empty());
  });
}

// test__queue.py, TestQueue.test_two_waiters_one_dies: of two parked getters, the killed one is
// skipped and the other gets the item.
TEST(GeventQueueSuiteTest, TwoWaitersOneDies) {
  InFreshThread([] {
    Queue<int> q;
    auto dying = Spawn([&] { return q.Get(); });
    auto living = Spawn([&] { return q.Get(10s); });
    Yield();
    dying.Kill();
    q.Put(5);
    EXPECT_EQ(living.Get(), 5);
  });
}

// test__queue.py, TestQueue.test_two_bogus_waiters: two getters that time out leave the queue
// working: a later Put is there for a later Get.
TEST(GeventQueueSuiteTest, TwoBogusWaiters) {
  InFreshThread([] {
    Queue<int> q;
    auto a = Spawn([&] { return q.Get(1ms); });
    auto b = Spawn([&] { return q.Get(1ms); });
    JoinAll({a, b});
    EXPECT_FALSE(a.Get().has_value());
    EXPECT_FALSE(b.Get().has_value());
    q.Put(8);
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.TryGet(), 8);
  });
}

// test__queue.py, TestGetInterrupt (AbstractGenericGetTestCase): a Get under a Timeout on an empty
// queue raises the timeout and takes nothing.
TEST(GeventQueueSuiteTest, GetInterrupt) {
  InFreshThread([] {
    Queue<int> q;
    EXPECT_FALSE(WithTimeout(5ms, [&] { q.Get(); }));
    q.Put(1);
    EXPECT_EQ(q.size(), 1u);
  });
}

// test__queue.py, TestPutInterrupt: a Put on a full queue gives up at its deadline, dropping the
// item, or raises an enclosing Timeout.
TEST(GeventQueueSuiteTest, PutInterrupt) {
  InFreshThread([] {
    Queue<int> q(1);
    q.Put(1);
    EXPECT_FALSE(q.Put(2, 5ms));
    EXPECT_FALSE(WithTimeout(5ms, [&] { q.Put(3); }));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.Get(), 1);
  });
}

}  // namespace
}  // namespace corral::coro
