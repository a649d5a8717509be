#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "servers/stats/owned_counter.h"

namespace corral::stats {

// Log-linear latency buckets in NANOSECONDS (HdrHistogram's idea): values below 2 * 64 have a
// bucket each; above, every power-of-two range [2^e, 2^(e+1)) is cut into 64 equal sub-buckets.
// A bucket is therefore at most 1/64 of its lower bound wide, and reporting its midpoint is
// within 1/128 (0.78%) of any value in it. Values from 0 to kMaxTrackableNs (2^37 - 1 ns, about
// 137 s) are bucketed; larger ones are counted in the last bucket. 2048 buckets, 16 KiB.
class HistogramBuckets {
 public:
  static constexpr int kSubBucketBits = 6;
  static constexpr uint64_t kSubBucketCount = uint64_t{1} << kSubBucketBits;
  static constexpr int kMaxValueBits = 37;
  static constexpr uint64_t kMaxTrackableNs = (uint64_t{1} << kMaxValueBits) - 1;
  static constexpr size_t kCount =
      ((kMaxValueBits - kSubBucketBits) << kSubBucketBits) + kSubBucketCount;

  // The bucket holding `ns` (clamped to kMaxTrackableNs).
  static constexpr size_t Index(uint64_t ns) {
    if (ns > kMaxTrackableNs) ns = kMaxTrackableNs;
    const int shift = std::bit_width(ns | kSubBucketCount) - (kSubBucketBits + 1);
    return (static_cast<size_t>(shift) << kSubBucketBits) + static_cast<size_t>(ns >> shift);
  }
  // Smallest and largest value (inclusive) that fall in bucket `i`, in nanoseconds.
  static constexpr uint64_t LowerBound(size_t i) {
    if (i < 2 * kSubBucketCount) return i;
    const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
    return (i - (static_cast<size_t>(shift) << kSubBucketBits)) << shift;
  }
  static constexpr uint64_t UpperBound(size_t i) { return LowerBound(i) + Width(i) - 1; }
  static constexpr uint64_t Width(size_t i) {
    return i < 2 * kSubBucketCount ? 1 : uint64_t{1} << ((i >> kSubBucketBits) - 1);
  }
  // The smallest bucket upper bound >= ns: where to put a Prometheus `le` boundary so that
  // HistogramSnapshot::CountAtOrBelow is exact (1 ms snaps to 1'007'615 ns: within 1/64).
  static constexpr uint64_t SnapToUpperBound(uint64_t ns) { return UpperBound(Index(ns)); }
  // The value reported for samples in bucket `i`: its midpoint (its only value when width 1).
  static constexpr uint64_t Representative(size_t i) { return LowerBound(i) + (Width(i) - 1) / 2; }
};
static_assert(HistogramBuckets::kCount == 2048);
static_assert(HistogramBuckets::Index(HistogramBuckets::kMaxTrackableNs) ==
              HistogramBuckets::kCount - 1);

// A plain copy of a histogram, owned by whoever made it; any thread, no sharing. This is what
// percentiles are computed on, and what the agent subtracts to get "over the last interval".
struct HistogramSnapshot {
  std::array<uint64_t, HistogramBuckets::kCount> buckets{};
  uint64_t count = 0;   // sum of buckets (kept in step by every mutator)
  uint64_t sum_ns = 0;  // sum of recorded values; read apart from the buckets, so approximate

  // Value at quantile q in [0, 1] by nearest rank (q=0.5 is the median, 1 the maximum), as the
  // bucket midpoint; 0 when empty. Relative error at most 1/128.
  uint64_t ValueAtQuantile(double q) const;
  uint64_t Min() const;   // 0 when empty
  uint64_t Max() const;   // 0 when empty
  double MeanNs() const;  // 0 when empty

  // Samples in buckets whose upper bound is <= bound_ns. Exact when bound_ns is a bucket upper
  // bound (HistogramBuckets::UpperBound), which is what a Prometheus `le` boundary should be.
  uint64_t CountAtOrBelow(uint64_t bound_ns) const;

  void Record(uint64_t ns, uint64_t times = 1);  // for tests and local aggregation
  void Add(const HistogramSnapshot& other);      // merge, e.g. the sum of all slots
  // this - base, bucket by bucket, floored at 0 (a bucket that went down means the source was
  // reset; the caller detects that from the scoreboard identity, see interval.h).
  HistogramSnapshot Minus(const HistogramSnapshot& base) const;
};

// The live histogram inside a scoreboard slot (shared memory; zero bytes are an empty histogram).
// Record() is for the slot's single owner thread only; AddTo() may run in any process at any time
// and sees each bucket whole but the buckets not all at the same instant.
struct LatencyHistogram {
  std::atomic<uint64_t> sum_ns;
  std::array<std::atomic<uint64_t>, HistogramBuckets::kCount> buckets;

  void Record(uint64_t ns) noexcept {
    OwnedAdd(buckets[HistogramBuckets::Index(ns)], 1);
    OwnedAdd(sum_ns, ns);
  }
  // Adds the current contents into `out` (so several slots merge into one snapshot).
  void AddTo(HistogramSnapshot& out) const;
};

}  // namespace corral::stats
