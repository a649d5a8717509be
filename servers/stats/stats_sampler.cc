#include "servers/stats/stats_sampler.h"

namespace corral::stats {

absl::StatusOr<IntervalStats> StatsSampler::Sample(const ReadOptions& options) {
  std::optional<Snapshot> previous = std::move(last_);
  absl::StatusOr<Snapshot> now = Read(options);
  if (!now.ok()) return now.status();
  IntervalStats stats =
      previous.has_value() ? ComputeInterval(*previous, *now) : ComputeSinceStart(*now);
  last_ = *std::move(now);
  return stats;
}

absl::StatusOr<Snapshot> StatsSampler::Read(const ReadOptions& options) {
  if (!reader_.has_value() || reader_->IsReplaced()) {
    absl::StatusOr<ScoreboardReader> opened = ScoreboardReader::Open(path_);
    if (opened.ok()) {
      reader_.emplace(*std::move(opened));
    } else if (!reader_.has_value() || !absl::IsNotFound(opened.status())) {
      // Nothing readable, or something untrustworthy now stands at the path: say so rather than
      // show the old file's counts as if they were current.
      Forget();
      return opened.status();
    }
    // Otherwise the file is gone: keep reading the old one (the final counts of a stopped server).
  }
  absl::StatusOr<Snapshot> now = reader_->Read(options);
  if (!now.ok()) {
    // The next sample reopens and revalidates the path, and starts a fresh interval.
    Forget();
    return now.status();
  }
  last_ = *now;
  return now;
}

void StatsSampler::Forget() {
  reader_.reset();
  last_.reset();
}

}  // namespace corral::stats
