#include "servers/coro/deadline.h"

#include <chrono>

#include "gtest/gtest.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;

TEST(DeadlineTest, DefaultIsNever) {
  Deadline d;
  EXPECT_TRUE(d.is_never());
  EXPECT_FALSE(d.Expired());
  EXPECT_EQ(d, Deadline::Never());
}

TEST(DeadlineTest, DurationIsMeasuredFromConstruction) {
  const Clock::time_point before = Clock::now();
  Deadline d = 50ms;
  const Clock::time_point after = Clock::now();
  EXPECT_GE(d.when(), before + 50ms);
  EXPECT_LE(d.when(), after + 50ms);
  EXPECT_FALSE(d.Expired(before));
  EXPECT_TRUE(d.Expired(after + 50ms));
}

TEST(DeadlineTest, ZeroAndNegativeDurationsHaveAlreadyPassed) {
  EXPECT_TRUE(Deadline(0ms).Expired());
  EXPECT_TRUE(Deadline(-5s).Expired());
}

TEST(DeadlineTest, HugeDurationsSaturateToNever) {
  EXPECT_TRUE(Deadline(std::chrono::hours::max()).is_never());
  EXPECT_FALSE(Deadline(std::chrono::hours(24 * 365)).is_never());
}

TEST(DeadlineTest, Ordering) {
  const Clock::time_point t = Clock::now();
  EXPECT_LT(Deadline(t), Deadline(t + 1ns));
  EXPECT_LT(Deadline(t), Deadline::Never());
}

}  // namespace
}  // namespace corral::coro
