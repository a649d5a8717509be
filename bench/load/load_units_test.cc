// The pure pieces of corral-load: a wrong echo must be caught, and percentiles must be close.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bench/load/echo_pattern.h"
#include "bench/load/latency_histogram.h"

namespace corral::load {
namespace {

std::vector<uint8_t> Message(uint32_t connection, uint64_t sequence, size_t size) {
  std::vector<uint8_t> bytes(size);
  FillPattern(connection, sequence, bytes);
  return bytes;
}

TEST(EchoPatternTest, IdenticalEchoMatches) {
  for (size_t size : {1u, 7u, 8u, 64u, 16384u}) {
    std::vector<uint8_t> sent = Message(3, 9, size);
    EXPECT_TRUE(EchoMatches(sent, Message(3, 9, size))) << size;
    EXPECT_TRUE(MatchesPattern(3, 9, sent)) << size;
  }
}

TEST(EchoPatternTest, StaleEchoFromEarlierMessageIsWrong) {
  std::vector<uint8_t> sent = Message(1, 42, 64);
  EXPECT_FALSE(EchoMatches(sent, Message(1, 41, 64)));
}

TEST(EchoPatternTest, EchoOfAnotherConnectionIsWrong) {
  std::vector<uint8_t> sent = Message(1, 42, 64);
  EXPECT_FALSE(EchoMatches(sent, Message(2, 42, 64)));
}

TEST(EchoPatternTest, EverySingleByteChangeIsCaught) {
  std::vector<uint8_t> sent = Message(5, 1, 256);
  for (size_t i = 0; i < sent.size(); ++i) {
    std::vector<uint8_t> echo = sent;
    echo[i] ^= 0x01;
    EXPECT_FALSE(EchoMatches(sent, echo)) << "byte " << i;
  }
}

TEST(EchoPatternTest, ShiftedOrShortEchoIsWrong) {
  std::vector<uint8_t> sent = Message(5, 1, 64);
  std::vector<uint8_t> shifted(sent.begin() + 1, sent.end());
  shifted.push_back(sent.front());
  EXPECT_FALSE(EchoMatches(sent, shifted));
  EXPECT_FALSE(EchoMatches(sent, std::span(sent).first(63)));
}

TEST(LatencyHistogramTest, BucketsCoverValuesAndStayWithinThreePercent) {
  for (uint64_t v :
       {0ull, 1ull, 63ull, 64ull, 65ull, 1000ull, 123456ull, 987654321ull, (1ull << 40) + 12345}) {
    uint64_t upper = LatencyHistogram::BucketUpperBound(LatencyHistogram::BucketOf(v));
    EXPECT_GE(upper, v);
    EXPECT_LE(static_cast<double>(upper - v), 0.032 * static_cast<double>(v) + 1) << v;
  }
  // Buckets are contiguous: the value after an upper bound opens the next bucket.
  for (int b = 0; b < 600; ++b) {
    EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketUpperBound(b) + 1), b + 1);
  }
}

TEST(LatencyHistogramTest, QuantilesMatchSortedSamples) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(11.0, 1.0);  // ~60 us median, long tail
  std::vector<uint64_t> samples(100000);
  LatencyHistogram histogram;
  for (uint64_t& s : samples) {
    s = static_cast<uint64_t>(dist(rng));
    histogram.Record(s);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.99, 0.999}) {
    double exact = static_cast<double>(samples[static_cast<size_t>(q * samples.size()) - 1]);
    double got = static_cast<double>(histogram.Quantile(q));
    EXPECT_NEAR(got, exact, 0.035 * exact) << q;
  }
  EXPECT_EQ(histogram.Quantile(1.0), samples.back());
  EXPECT_EQ(histogram.count(), samples.size());
}

TEST(LatencyHistogramTest, MergeAddsCounts) {
  LatencyHistogram a, b;
  a.Record(50);  // below 64 ns every value has its own bucket
  b.Record(5000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 5000u);
  EXPECT_EQ(a.Quantile(0.5), 50u);
  EXPECT_EQ(LatencyHistogram().Quantile(0.5), 0u);
}

}  // namespace
}  // namespace corral::load
