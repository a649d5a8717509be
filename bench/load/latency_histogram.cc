#include "bench/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace corral::load {

int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < kExact) return static_cast<int>(nanos);
  int msb = 63 - std::countl_zero(nanos);  // >= 6
  int sub = static_cast<int>((nanos >> (msb - kSubBits)) & ((1 << kSubBits) - 1));
  return kExact + (msb - 6) * (1 << kSubBits) + sub;
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < kExact) return static_cast<uint64_t>(bucket);
  int msb = (bucket - kExact) / (1 << kSubBits) + 6;
  uint64_t sub = static_cast<uint64_t>((bucket - kExact) % (1 << kSubBits));
  uint64_t width = uint64_t{1} << (msb - kSubBits);
  return (uint64_t{1} << msb) + sub * width + (width - 1);
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++buckets_[BucketOf(nanos)];
  ++count_;
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(BucketUpperBound(i), max_);
  }
  return max_;
}

}  // namespace corral::load
