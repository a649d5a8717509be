#include "servers/stats/histogram.h"

#include <algorithm>
#include <cmath>

namespace corral::stats {

uint64_t HistogramSnapshot::ValueAtQuantile(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest sample such that at least q of all samples are <= it.
  // The counts may come from a file another process wrote (any value at all): a rank that does
  // not fit in uint64_t is the last sample rather than an out-of-range conversion.
  const double wanted = std::ceil(q * static_cast<double>(count));
  const uint64_t rank = wanted >= static_cast<double>(count)
                            ? count
                            : std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) return HistogramBuckets::Representative(i);
  }
  return Max();
}

uint64_t HistogramSnapshot::Min() const {
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i] != 0) return HistogramBuckets::Representative(i);
  }
  return 0;
}

uint64_t HistogramSnapshot::Max() const {
  for (size_t i = buckets.size(); i-- > 0;) {
    if (buckets[i] != 0) return HistogramBuckets::Representative(i);
  }
  return 0;
}

double HistogramSnapshot::MeanNs() const {
  return count == 0 ? 0.0 : static_cast<double>(sum_ns) / static_cast<double>(count);
}

uint64_t HistogramSnapshot::CountAtOrBelow(uint64_t bound_ns) const {
  uint64_t n = 0;
  for (size_t i = 0; i < buckets.size() && HistogramBuckets::UpperBound(i) <= bound_ns; ++i) {
    n += buckets[i];
  }
  return n;
}

void HistogramSnapshot::Record(uint64_t ns, uint64_t times) {
  buckets[HistogramBuckets::Index(ns)] += times;
  count += times;
  sum_ns += ns * times;
}

void HistogramSnapshot::Add(const HistogramSnapshot& other) {
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum_ns += other.sum_ns;
}

HistogramSnapshot HistogramSnapshot::Minus(const HistogramSnapshot& base) const {
  HistogramSnapshot d;
  for (size_t i = 0; i < buckets.size(); ++i) {
    d.buckets[i] = buckets[i] > base.buckets[i] ? buckets[i] - base.buckets[i] : 0;
    d.count += d.buckets[i];
  }
  d.sum_ns = sum_ns > base.sum_ns ? sum_ns - base.sum_ns : 0;
  return d;
}

void LatencyHistogram::AddTo(HistogramSnapshot& out) const {
  for (size_t i = 0; i < buckets.size(); ++i) {
    const uint64_t n = buckets[i].load(std::memory_order_relaxed);
    out.buckets[i] += n;
    out.count += n;
  }
  out.sum_ns += sum_ns.load(std::memory_order_relaxed);
}

}  // namespace corral::stats
