#include "servers/coro/timeout.h"

#include <chrono>

#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

TEST(TimeoutTest, RaisesAtTheBlockingPoint) {
  InFreshThread([] {
    const auto start = Clock::now();
    bool reached = false;
    try {
      Timeout t(20ms);
      Sleep(1h);
      reached = true;
    } catch (const TimeoutExpired&) {
    }
    EXPECT_FALSE(reached);
    EXPECT_GE(Clock::now() - start, 20ms);
    EXPECT_LT(Clock::now() - start, 30s);
  });
}

TEST(TimeoutTest, DoesNotFireOnceLeft) {
  InFreshThread([] {
    { Timeout t(5ms); }
    EXPECT_NO_THROW(Sleep(20ms));
  });
}

TEST(TimeoutTest, CancelStopsIt) {
  InFreshThread([] {
    Timeout t(5ms);
    t.Cancel();
    EXPECT_NO_THROW(Sleep(20ms));
    EXPECT_FALSE(t.expired());
  });
}

TEST(TimeoutTest, CodeThatNeverBlocksIsNotInterrupted) {
  InFreshThread([] {
    Timeout t(1ms);
    const auto start = Clock::now();
    while (Clock::now() - start < 10ms) {
    }  // busy, no blocking point: the hub never ran, so nothing fired or was raised
    EXPECT_FALSE(t.expired());
    t.Cancel();
    EXPECT_NO_THROW(Yield());
  });
}

TEST(TimeoutTest, ExpiryAfterBlockingCodeIsRaisedAtTheNextBlockingPoint) {
  InFreshThread([] {
    Timeout t(10ms);
    const auto start = Clock::now();
    while (Clock::now() - start < 20ms) {
    }
    EXPECT_THROW(Yield(), TimeoutExpired);
  });
}

TEST(TimeoutTest, InterruptsAWaitOnAnEventInATask) {
  InFreshThread([] {
    Event never;
    auto h = Spawn([&] {
      Timeout t(10ms);
      never.Wait();
      return 0;
    });
    EXPECT_TRUE(h.Join(10s));
    EXPECT_THROW(h.Get(), TimeoutExpired);
  });
}

TEST(TimeoutTest, NestedTimeoutsTellWhichFired) {
  InFreshThread([] {
    int inner_result = -1;
    const bool outer_completed =
        WithTimeout(20ms, [&] { inner_result = WithTimeout(1h, [] { Sleep(1h); }) ? 1 : 0; });
    EXPECT_FALSE(outer_completed);  // the outer one fired ...
    EXPECT_EQ(inner_result, -1);    // ... and went through the inner WithTimeout, not caught
    EXPECT_TRUE(WithTimeout(1h, [] { Sleep(1ms); }));
    bool inner = true;
    EXPECT_TRUE(WithTimeout(1h, [&] { inner = WithTimeout(5ms, [] { Sleep(1h); }); }));
    EXPECT_FALSE(inner);
  });
}

}  // namespace
}  // namespace corral::coro
