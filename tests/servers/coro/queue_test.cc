#include "servers/coro/queue.h"

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

TEST(QueueTest, UnboundedProducerConsumerInOrder) {
  InFreshThread([] {
    Queue<int> q;
    auto consumer = Spawn([&] {
      std::vector<int> got;
      for (int i = 0; i < 100; ++i) got.push_back(*q.Get());
      return got;
    });
    auto producer = Spawn([&] {
      for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(q.Put(i));
        if (i % 10 == 0) Yield();
      }
    });
    std::vector<int> expected;
    for (int i = 0; i < 100; ++i) expected.push_back(i);
    EXPECT_EQ(consumer.Get(), expected);
    producer.Join();
    EXPECT_TRUE(q.empty());
  });
}

TEST(QueueTest, BoundedPutBlocksWhileFull) {
  InFreshThread([] {
    Queue<std::string> q(2);
    EXPECT_TRUE(q.Put("a"));
    EXPECT_TRUE(q.Put("b"));
    EXPECT_TRUE(q.full());
    EXPECT_FALSE(q.TryPut("c"));
    bool put_done = false;
    auto putter = Spawn([&] {
      EXPECT_TRUE(q.Put("c"));
      put_done = true;
    });
    Sleep(1ms);
    EXPECT_FALSE(put_done);  // still parked
    EXPECT_EQ(*q.Get(), "a");
    putter.Join();
    EXPECT_TRUE(put_done);
    EXPECT_EQ(*q.Get(), "b");
    EXPECT_EQ(*q.Get(), "c");
  });
}

TEST(QueueTest, GetAndPutTimeOut) {
  InFreshThread([] {
    Queue<int> q(1);
    auto start = Clock::now();
    EXPECT_EQ(q.Get(20ms), std::nullopt);
    EXPECT_GE(Clock::now() - start, 20ms);
    EXPECT_EQ(q.TryGet(), std::nullopt);
    EXPECT_TRUE(q.Put(1));
    start = Clock::now();
    EXPECT_FALSE(q.Put(2, 20ms));
    EXPECT_GE(Clock::now() - start, 20ms);
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.TryGet(), 1);
  });
}

TEST(QueueTest, ManyGettersEachGetOneItem) {
  InFreshThread([] {
    Queue<int> q;
    int sum = 0;
    std::vector<AnyHandle> getters;
    for (int i = 0; i < 10; ++i) getters.push_back(Spawn([&] { sum += *q.Get(); }));
    Sleep(1ms);
    for (int i = 1; i <= 10; ++i) q.Put(i);
    JoinAll(getters);
    EXPECT_EQ(sum, 55);
  });
}

TEST(QueueTest, MoveOnlyItems) {
  InFreshThread([] {
    Queue<std::unique_ptr<int>> q;
    q.Put(std::make_unique<int>(9));
    std::optional<std::unique_ptr<int>> v = q.Get();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(**v, 9);
  });
}

// gevent test__queue.py (TestQueue, queue of size 0 / test_maxsize): Queue(0) is unbounded, as
// in gevent and the stdlib; a size-0 rendezvous is gevent's Channel, which Corral does not have.
TEST(QueueTest, CapacityZeroMeansUnbounded) {
  InFreshThread([] {
    Queue<int> q(0);
    EXPECT_EQ(q.capacity(), Queue<int>::kUnbounded);
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(q.TryPut(i));
    EXPECT_FALSE(q.full());
    EXPECT_EQ(q.size(), 100u);
  });
}

}  // namespace
}  // namespace corral::coro
