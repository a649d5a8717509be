#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "servers/stats/layout.h"
#include "servers/stats/snapshot.h"

namespace corral::stats {

struct ReadOptions {
  // Also copy each slot's histogram into Snapshot::slot_latency (16 KiB per slot).
  bool per_slot_latency = false;
};

// The agent's read-only view of one scoreboard file, written by another process that the agent
// does not trust: a buggy or hostile server may rewrite, truncate or replace its file at any
// moment, and the agent must neither crash nor block because of it.
//
// Hence the file is never mapped (a truncation would turn an access into SIGBUS): every read is a
// pread() into the reader's own memory, and every value copied out is bounded before use. Open()
// reads the header once and keeps what it validated (slot count, offsets, size); Read() re-reads
// only the live parts and refuses the file when the parts that never change did change.
//
// Reads take no lock and never slow the server. A snapshot is not one instant: the counters are
// read one after another (and a pread copy of a counter being written could in principle mix old
// and new bytes; the worst outcome is one interval taken for a restart).
//
// When the server restarts it renames a new file over the path; this reader keeps reading the old
// (final) one until reopened: check IsReplaced() before each read, or reopen on a new pid.
// Move-only; Read() is const and may run from several threads at once.
class ScoreboardReader {
 public:
  // Opens `path` with O_NOFOLLOW | O_NONBLOCK (a symlink or a FIFO there can neither redirect nor
  // block the agent). Errors: NotFound when nothing is at `path`; DataLoss when something is
  // there that is not a scoreboard this build can trust: a symbolic link, not a regular file, not
  // owned by `expected_owner`, a size other than its header's, a foreign, corrupt or other-version
  // header; other codes for the caller's own failures (EMFILE, ...).
  static absl::StatusOr<ScoreboardReader> Open(const std::string& path,
                                               uid_t expected_owner = geteuid());

  // Copies the live counters into a plain Snapshot. Errors: DataLoss when the file changed in a
  // way its writer never changes it: resized or truncated, header rewritten, a slot holding an
  // impossible value (the message says which). The reader stays usable; the caller may reopen.
  absl::StatusOr<Snapshot> Read(const ReadOptions& options = {}) const;

  // True when `path` now names a different file than the one open (or none at all).
  bool IsReplaced() const;

  const std::string& path() const { return path_; }
  const ScoreboardIdentity& identity() const { return identity_; }
  uint32_t slot_count() const { return slot_count_; }

  ScoreboardReader(ScoreboardReader&& other) noexcept;
  ScoreboardReader& operator=(ScoreboardReader&& other) noexcept;
  ScoreboardReader(const ScoreboardReader&) = delete;
  ScoreboardReader& operator=(const ScoreboardReader&) = delete;
  ~ScoreboardReader();

 private:
  // The header bytes that stay the same for the file's whole life (all but the listener section).
  static constexpr size_t kFixedHeaderBytes = offsetof(ScoreboardHeader, listener);
  using HeaderBytes = std::array<unsigned char, sizeof(ScoreboardHeader)>;

  ScoreboardReader(std::string path, int fd, const struct stat& st, const HeaderBytes& header);

  std::string path_;
  int fd_ = -1;  // owned, read-only
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  HeaderBytes header_{};  // as validated by Open()
  uint32_t slot_count_ = 0;
  uint64_t slots_offset_ = 0;
  uint64_t file_size_ = 0;
  ScoreboardIdentity identity_;
  std::string protocol_;
  std::string model_;
};

}  // namespace corral::stats
