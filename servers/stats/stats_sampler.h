#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "servers/stats/interval.h"
#include "servers/stats/scoreboard_reader.h"
#include "servers/stats/snapshot.h"

namespace corral::stats {

// Successive reads of one server's scoreboard, for one consumer (a GetStats cache, or one
// WatchStats stream at its own interval). Opens the file lazily, reopens it when the server
// replaced it (restart), and turns each read into an IntervalStats against the previous one.
//
// Not thread-safe: one sampler per consumer, used from one thread at a time.
class StatsSampler {
 public:
  explicit StatsSampler(std::string path) : path_(std::move(path)) {}

  // Reads the scoreboard now. The first sample (and the first after a failure to open) covers
  // the time since the server started; later ones the time since the previous sample, with
  // IntervalStats::restarted set when the server was replaced in between.
  // Errors: those of ScoreboardReader::Open and Read: NotFound before the server created the
  // file; DataLoss when the file at the path cannot be trusted (replaced by a symlink or a FIFO,
  // truncated, rewritten with bytes its writer never stores). After an error the sampler forgets
  // the file and its last snapshot: the next sample reopens the path and starts from scratch.
  absl::StatusOr<IntervalStats> Sample(const ReadOptions& options = {});

  // Reads the scoreboard now (opening or reopening it as Sample does) and returns the snapshot,
  // which last() then holds too; no interval is computed. Errors: as Sample.
  absl::StatusOr<Snapshot> Read(const ReadOptions& options = {});

  // The snapshot taken by the last successful Sample() or Read() since the last error, if any
  // (per-slot detail, identity).
  const std::optional<Snapshot>& last() const { return last_; }
  const std::string& path() const { return path_; }

 private:
  void Forget();

  std::string path_;
  std::optional<ScoreboardReader> reader_;
  std::optional<Snapshot> last_;
};

}  // namespace corral::stats
