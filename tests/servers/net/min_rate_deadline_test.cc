// MinRateDeadline: a grace, then one second per min_bytes_per_second bytes received.
#include "servers/net/min_rate_deadline.h"

#include <gtest/gtest.h>

namespace corral::net {
namespace {

using std::chrono::milliseconds;

TEST(MinRateDeadlineTest, GraceThenTimeEarnedByBytes) {
  const Clock::time_point start = Clock::now();
  MinRateDeadline body({milliseconds(300), 1000}, start);
  EXPECT_EQ(body.deadline(), start + milliseconds(300));
  body.Add(500);  // half a second's worth at 1000 bytes/s
  EXPECT_EQ(body.deadline(), start + milliseconds(800));
  // A trickle earns almost nothing: 20 bytes move the deadline by 20 ms.
  body.Add(20);
  EXPECT_EQ(body.deadline(), start + milliseconds(820));
}

TEST(MinRateDeadlineTest, EachReadGetsTheSoonerOfTheRateAndTheIdleTimeout) {
  MinRateDeadline body({milliseconds(60'000), 1000});
  const Deadline idle = body.NextRead(milliseconds(100));
  EXPECT_LT(idle, body.deadline());
  EXPECT_FALSE(body.IsRateDeadline(idle));
  MinRateDeadline late({milliseconds(0), 1000}, Clock::now() - milliseconds(10));
  const Deadline rate = late.NextRead(milliseconds(60'000));
  EXPECT_TRUE(late.IsRateDeadline(rate));
}

TEST(MinRateDeadlineTest, ZeroRateMeansNoRule) {
  MinRateDeadline body({milliseconds(0), 0});
  EXPECT_EQ(body.deadline(), Deadline::max());
}

}  // namespace
}  // namespace corral::net
