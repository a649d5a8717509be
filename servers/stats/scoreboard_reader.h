#ifndef CORRAL_SERVERS_STATS_SCOREBOARD_READER_H_
#define CORRAL_SERVERS_STATS_SCOREBOARD_READER_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "servers/stats/layout.h"
#include "servers/stats/mapped_region.h"
#include "servers/stats/snapshot.h"

namespace corral::stats {

struct ReadOptions {
  // Also copy each slot's histogram into Snapshot::slot_latency (16 KiB per slot).
  bool per_slot_latency = false;
};

// The agent's read-only view of one scoreboard file (another process writes it).
//
// Open() validates the header once; Read() copies the live counters into a plain Snapshot with
// relaxed loads and no locks, so it never blocks or slows the server. A snapshot is not one
// instant: each counter is whole, but they are read one after another.
//
// When the server restarts it renames a new file over the path; this reader keeps seeing the old
// (final) one until reopened: check IsReplaced() before each read, or reopen on a new pid.
// The server never shrinks the file, so the mapping cannot fault. Move-only; Read() is const and
// may run from several threads at once.
class ScoreboardReader {
 public:
  // Errors: NotFound / PermissionDenied from open(); FailedPrecondition for a file that is
  // truncated, foreign (bad magic) or from another layout version.
  static absl::StatusOr<ScoreboardReader> Open(const std::string& path);

  Snapshot Read(const ReadOptions& options = {}) const;

  // True when `path` now names a different file than the one mapped (or none at all).
  bool IsReplaced() const;

  const std::string& path() const { return path_; }
  const ScoreboardIdentity& identity() const { return identity_; }
  uint32_t slot_count() const { return header()->slot_count; }

 private:
  ScoreboardReader(std::string path, MappedRegion region, dev_t dev, ino_t ino);
  const ScoreboardHeader* header() const {
    return static_cast<const ScoreboardHeader*>(region_.data());
  }
  const SlotLayout* slot(uint32_t i) const;

  std::string path_;
  MappedRegion region_;
  dev_t dev_;
  ino_t ino_;
  ScoreboardIdentity identity_;
};

}  // namespace corral::stats

#endif  // CORRAL_SERVERS_STATS_SCOREBOARD_READER_H_
