#include <chrono>
#include <latch>
#include <thread>

#include "gtest/gtest.h"
#include "servers/cooperative/event.h"
#include "servers/cooperative/sleep.h"
#include "servers/cooperative/timeout_scope.h"
#include "servers/coro/hub.h"
#include "tests/servers/cooperative/hub_thread.h"

namespace corral::cooperative {
namespace {

using namespace std::chrono_literals;
using testing::HubThread;

base::Deadline In(std::chrono::milliseconds d) { return base::Clock::now() + d; }

// A sleeping greenlet parks: another greenlet of its hub runs meanwhile.
TEST(SleepTest, ParksTheGreenletNotTheHub) {
  HubThread a;
  std::latch done(1);
  bool other_ran_during_sleep = false;
  a.Spawn([&] {
    bool other_ran = false;
    coro::Spawn([&] { other_ran = true; });
    ASSERT_TRUE(SleepUntil(In(20ms)).ok());
    other_ran_during_sleep = other_ran;
    done.count_down();
  });
  done.wait();
  EXPECT_TRUE(other_ran_during_sleep);
}

TEST(SleepTest, BlocksAThread) {
  const auto start = base::Clock::now();
  EXPECT_TRUE(SleepUntil(start + 20ms).ok());
  EXPECT_GE(base::Clock::now() - start, 20ms);
}

// Scopes nest and the earliest wins, per task: a scope on one greenlet does not bound another
// greenlet of the same hub.
TEST(TimeoutScopeTest, EarliestNestedScopeBoundsTheTaskOnly) {
  HubThread a;
  std::latch done(2);
  absl::Status inner, outer_after_pop, other, after_all;
  Event never;
  a.Spawn([&] {
    PushTimeout(In(10s));
    PushTimeout(In(20ms));
    PushTimeout(In(5s));  // later than the enclosing 20 ms: the 20 ms still wins
    const auto start = base::Clock::now();
    inner = never.Wait(base::Deadline::max());
    EXPECT_LT(base::Clock::now() - start, 5s);
    PopTimeout();
    PopTimeout();
    outer_after_pop = SleepUntil(In(1ms));  // only the 10 s scope is left
    PopTimeout();
    after_all = SleepUntil(In(1ms));
    done.count_down();
  });
  a.Spawn([&] {
    other = SleepUntil(In(60ms));  // runs while the first greenlet's scopes are open
    done.count_down();
  });
  done.wait();
  EXPECT_EQ(inner.code(), absl::StatusCode::kDeadlineExceeded) << inner;
  EXPECT_TRUE(outer_after_pop.ok()) << outer_after_pop;
  EXPECT_TRUE(other.ok()) << other;
  EXPECT_TRUE(after_all.ok()) << after_all;
}

TEST(TimeoutScopeTest, BoundsAThreadAndCapsDeadlines) {
  std::thread([] {
    EXPECT_EQ(CapByScope(base::Deadline::max()), base::Deadline::max());
    const base::Deadline end = In(20ms);
    PushTimeout(end);
    EXPECT_EQ(CapByScope(base::Deadline::max()), end);
    EXPECT_EQ(CapByScope(end - 1ms), end - 1ms);
    EXPECT_EQ(SleepUntil(In(10s)).code(), absl::StatusCode::kDeadlineExceeded);
    PopTimeout();
    EXPECT_EQ(CapByScope(base::Deadline::max()), base::Deadline::max());
  }).join();
}

}  // namespace
}  // namespace corral::cooperative
