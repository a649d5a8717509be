#include "servers/stats/stats_sampler.h"

namespace corral::stats {

absl::StatusOr<IntervalStats> StatsSampler::Sample(const ReadOptions& options) {
  if (!reader_.has_value() || reader_->IsReplaced()) {
    absl::StatusOr<ScoreboardReader> opened = ScoreboardReader::Open(path_);
    if (!opened.ok()) {
      // Keep reading the old file (the final counts of a stopped server) if there is one.
      if (!reader_.has_value()) return opened.status();
    } else {
      reader_.emplace(*std::move(opened));
    }
  }
  Snapshot now = reader_->Read(options);
  IntervalStats stats = last_.has_value() ? ComputeInterval(*last_, now) : ComputeSinceStart(now);
  last_ = std::move(now);
  return stats;
}

}  // namespace corral::stats
