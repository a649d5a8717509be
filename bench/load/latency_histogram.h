// A log-linear latency histogram: exact below 64 ns, then 32 linear buckets per power of two, so
// any percentile it reports is within about 3% of the true sample. Fixed size, no allocation
// while recording. Not thread-safe: each load thread owns one and they are merged at the end.
#pragma once

#include <array>
#include <cstdint>

namespace corral::load {

class LatencyHistogram {
 public:
  // Records one latency in nanoseconds.
  void Record(uint64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The value at quantile q (0 < q <= 1), in nanoseconds: the upper bound of the bucket holding
  // the ceil(q * count)-th smallest sample, capped at the largest sample seen. 0 when empty.
  uint64_t Quantile(double q) const;

  // Bucket arithmetic, public for the unit test.
  static int BucketOf(uint64_t nanos);
  static uint64_t BucketUpperBound(int bucket);

 private:
  static constexpr int kExact = 64;   // values below this have a bucket each
  static constexpr int kSubBits = 5;  // 32 buckets per power of two above that
  static constexpr int kBuckets = kExact + (64 - 6) * (1 << kSubBits);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace corral::load
