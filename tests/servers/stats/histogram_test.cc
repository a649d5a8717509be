#include "servers/stats/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace corral::stats {
namespace {

using B = HistogramBuckets;

TEST(HistogramBucketsTest, BucketsAreContiguousAndCoverTheRange) {
  EXPECT_EQ(B::LowerBound(0), 0u);
  for (size_t i = 0; i + 1 < B::kCount; ++i) {
    ASSERT_EQ(B::UpperBound(i) + 1, B::LowerBound(i + 1)) << "bucket " << i;
  }
  EXPECT_EQ(B::UpperBound(B::kCount - 1), B::kMaxTrackableNs);
  // The range asked for: 1 us .. 100 s fits.
  EXPECT_GT(B::kMaxTrackableNs, 100'000'000'000u);
}

TEST(HistogramBucketsTest, EveryValueLandsInsideItsBucket) {
  std::vector<uint64_t> values;
  for (uint64_t v = 0; v < 20'000; ++v) values.push_back(v);
  for (int bit = 7; bit < B::kMaxValueBits; ++bit) {
    const uint64_t p = uint64_t{1} << bit;
    values.insert(values.end(), {p - 1, p, p + 1, p + p / 3});
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100'000; ++i) values.push_back(rng() % B::kMaxTrackableNs);
  for (uint64_t v : values) {
    const size_t i = B::Index(v);
    ASSERT_LT(i, B::kCount);
    ASSERT_LE(B::LowerBound(i), v) << v;
    ASSERT_GE(B::UpperBound(i), v) << v;
  }
}

TEST(HistogramBucketsTest, SmallValuesAreExactAndWideBucketsStayWithinOnePercent) {
  for (uint64_t v = 0; v < 2 * B::kSubBucketCount; ++v) {
    EXPECT_EQ(B::Index(v), v);
    EXPECT_EQ(B::Representative(B::Index(v)), v);
  }
  for (size_t i = 2 * B::kSubBucketCount; i < B::kCount; ++i) {
    const double lower = static_cast<double>(B::LowerBound(i));
    const double half_width = static_cast<double>(B::Width(i)) / 2;
    ASSERT_LE(half_width / lower, 1.0 / 128 + 1e-12) << "bucket " << i;
  }
}

TEST(HistogramBucketsTest, ValuesBeyondTheRangeAreClampedIntoTheLastBucket) {
  EXPECT_EQ(B::Index(B::kMaxTrackableNs + 1), B::kCount - 1);
  EXPECT_EQ(B::Index(UINT64_MAX), B::kCount - 1);
}

uint64_t ExactNearestRank(std::vector<uint64_t> sorted, double q) {
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

TEST(HistogramSnapshotTest, PercentilesAreWithinOnePercentOfExact) {
  // Log-uniform latencies from 1 us to 100 s: every octave of the range gets samples.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(3.0, 11.0);  // 10^3 .. 10^11 ns
  std::vector<uint64_t> samples;
  auto h = std::make_unique<HistogramSnapshot>();
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t v = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
    samples.push_back(v);
    h->Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const double exact = static_cast<double>(ExactNearestRank(samples, q));
    const double got = static_cast<double>(h->ValueAtQuantile(q));
    EXPECT_LE(std::abs(got - exact) / exact, 0.01) << "q=" << q << " exact=" << exact;
  }
  EXPECT_LE(std::abs(static_cast<double>(h->Max()) - samples.back()) / samples.back(), 0.01);
  EXPECT_LE(std::abs(static_cast<double>(h->Min()) - samples.front()) / samples.front(), 0.01);
  EXPECT_EQ(h->count, samples.size());
}

TEST(HistogramSnapshotTest, KnownDistribution) {
  auto h = std::make_unique<HistogramSnapshot>();
  for (uint64_t us = 1; us <= 1000; ++us) h->Record(us * 1000);  // 1 us .. 1 ms
  EXPECT_NEAR(h->ValueAtQuantile(0.5), 500'000.0, 5'000.0);
  EXPECT_NEAR(h->ValueAtQuantile(0.9), 900'000.0, 9'000.0);
  EXPECT_NEAR(h->ValueAtQuantile(0.99), 990'000.0, 9'900.0);
  EXPECT_NEAR(h->Max(), 1'000'000.0, 10'000.0);
  EXPECT_DOUBLE_EQ(h->MeanNs(), 500'500.0);
}

TEST(HistogramSnapshotTest, EmptyHistogramReportsZeros) {
  auto h = std::make_unique<HistogramSnapshot>();
  EXPECT_EQ(h->ValueAtQuantile(0.5), 0u);
  EXPECT_EQ(h->Max(), 0u);
  EXPECT_EQ(h->Min(), 0u);
  EXPECT_EQ(h->MeanNs(), 0.0);
}

TEST(HistogramSnapshotTest, MergeEqualsRecordingEverythingInOne) {
  auto a = std::make_unique<HistogramSnapshot>();
  auto b = std::make_unique<HistogramSnapshot>();
  auto both = std::make_unique<HistogramSnapshot>();
  for (uint64_t v = 1; v < 50'000; v += 7) {
    (v % 2 ? a : b)->Record(v * 13);
    both->Record(v * 13);
  }
  a->Add(*b);
  EXPECT_EQ(a->buckets, both->buckets);
  EXPECT_EQ(a->count, both->count);
  EXPECT_EQ(a->sum_ns, both->sum_ns);
}

TEST(HistogramSnapshotTest, MinusGivesTheIntervalAndFloorsAtZero) {
  auto before = std::make_unique<HistogramSnapshot>();
  before->Record(1'000, 10);  // 1 us x10
  auto after = std::make_unique<HistogramSnapshot>(*before);
  after->Record(5'000'000, 4);  // 5 ms x4 happen in the interval
  const HistogramSnapshot d = after->Minus(*before);
  EXPECT_EQ(d.count, 4u);
  EXPECT_EQ(d.sum_ns, 20'000'000u);
  EXPECT_NEAR(d.ValueAtQuantile(0.5), 5'000'000.0, 50'000.0);
  EXPECT_EQ(d.Min(), d.Max());

  const HistogramSnapshot backwards = before->Minus(*after);  // a reset source
  EXPECT_EQ(backwards.count, 0u);
  EXPECT_EQ(backwards.sum_ns, 0u);
}

TEST(HistogramSnapshotTest, CountAtOrBelowIsExactAtBucketUpperBounds) {
  auto h = std::make_unique<HistogramSnapshot>();
  const std::vector<uint64_t> values = {50, 900, 1'000, 1'100, 250'000, 9'000'000, 3'000'000'000};
  for (uint64_t v : values) h->Record(v);
  for (uint64_t v : values) {
    const uint64_t le = B::UpperBound(B::Index(v));
    const auto expected =
        std::count_if(values.begin(), values.end(), [le](uint64_t x) { return x <= le; });
    EXPECT_EQ(h->CountAtOrBelow(le), static_cast<uint64_t>(expected)) << le;
  }
  EXPECT_EQ(h->CountAtOrBelow(B::kMaxTrackableNs), values.size());
  EXPECT_EQ(h->CountAtOrBelow(10), 0u);
}

TEST(HistogramBucketsTest, SnapToUpperBoundGivesANearbyExactBoundary) {
  EXPECT_EQ(B::SnapToUpperBound(1'000'000), 1'007'615u);
  EXPECT_EQ(B::SnapToUpperBound(100), 100u);  // exact buckets: unchanged
  for (uint64_t le : {1'000ull, 2'500'000ull, 5'000'000ull, 1'000'000'000ull, 60'000'000'000ull}) {
    const uint64_t snapped = B::SnapToUpperBound(le);
    EXPECT_GE(snapped, le);
    EXPECT_LE(static_cast<double>(snapped - le) / le, 1.0 / 64);
    EXPECT_EQ(B::UpperBound(B::Index(snapped)), snapped);
    EXPECT_EQ(B::SnapToUpperBound(snapped), snapped);
  }
}

TEST(LatencyHistogramTest, ZeroBytesAreAnEmptyHistogramAndRecordMatchesSnapshot) {
  // As inside a freshly created scoreboard file: raw zeroed memory.
  auto raw = std::make_unique<unsigned char[]>(sizeof(LatencyHistogram));
  std::memset(raw.get(), 0, sizeof(LatencyHistogram));
  auto* live = new (raw.get()) LatencyHistogram;
  auto expected = std::make_unique<HistogramSnapshot>();
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1'000'000ull, 99'000'000'000ull}) {
    live->Record(v);
    expected->Record(v);
  }
  auto got = std::make_unique<HistogramSnapshot>();
  live->AddTo(*got);
  EXPECT_EQ(got->buckets, expected->buckets);
  EXPECT_EQ(got->count, 7u);
  EXPECT_EQ(got->sum_ns, expected->sum_ns);
  live->AddTo(*got);  // AddTo accumulates: two slots' worth
  EXPECT_EQ(got->count, 14u);
}

}  // namespace
}  // namespace corral::stats
