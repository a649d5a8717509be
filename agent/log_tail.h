// Reading a server's log as corral-logger writes it: DIR/log, rotated to DIR/log.1 (newest) ...
// DIR/log.N (oldest). LogFollower reads what is appended, across rotations, without losing or
// repeating a line; LastLogLines gives the history before the follower's starting point.
// Both read each byte once and hold a bounded amount in memory: a tail reads at most
// kMaxTailBytes, and a line longer than kMaxLineBytes is cut there and ends with
// kLineCutMarker. Neither keeps state beyond its object; any single thread, but LastLogLines
// may read megabytes, so not the supervision loop's.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"

namespace corral::agent {

// Longer than any line corral-logger writes (64 KiB plus its timestamp), so only a log written
// by something else is ever cut.
inline constexpr size_t kMaxLineBytes = 128 * 1024;
// What ends a line cut at kMaxLineBytes.
inline constexpr std::string_view kLineCutMarker = " [corral: line cut at 128 KiB]";
// The most bytes LastLogLines reads, across all files: the newest part of a log.
inline constexpr size_t kMaxTailBytes = 16 * 1024 * 1024;
// The most bytes one LogFollower::Poll reads; what remains waits for the next call.
inline constexpr size_t kMaxPollReadBytes = 1024 * 1024;

class LogFollower {
 public:
  // Starts at the current end of DIR/log (or at its start, once it appears, if it does not
  // exist yet).
  explicit LogFollower(std::string dir);

  // Appends to `lines` the complete lines written since the last call, at most `max_lines`
  // of at most `max_bytes` in all (but always one, when one is complete); the rest wait for
  // the next call, as do bytes past kMaxPollReadBytes read in this call. Files are opened as
  // a hostile server may have left them: no symlink is followed, only a regular file is read.
  // After a rotation, the rest of the renamed file is read first, then each
  // newer file from its start, up to the current DIR/log; only files rotated out of
  // existence (beyond keep_files) between two calls are missed.
  void Poll(std::vector<std::string>* lines, size_t max_lines, size_t max_bytes);

  // The file and offset where following started (for LastLogLines).
  int start_fd() const { return fd_.get(); }
  off_t start_offset() const { return start_offset_; }
  const std::string& dir() const { return dir_; }

  static constexpr int kMaxRotated = 100;  // spec.log_keep_files is at most this

 private:
  bool OpenCurrent(bool at_end);
  bool OpenFile(const std::string& path, bool at_end);
  bool Rotated() const;
  // The file that follows the one just finished, after a rotation.
  std::string NextFile() const;
  enum class Take { kLine, kNeedMore, kNoRoom };
  // Moves the next whole line in buffer_ into `line` (kLine), unless none is whole yet
  // (kNeedMore) or it would not fit in `room` bytes (kNoRoom). Cuts a line that outgrows
  // kMaxLineBytes and drops its rest.
  Take TakeBufferedLine(size_t room, std::string* line);

  std::string dir_;
  base::UniqueFd fd_;
  ino_t ino_ = 0;
  off_t offset_ = 0;
  off_t start_offset_ = 0;
  std::string buffer_;          // read, not yet returned: [line_start_, size)
  size_t line_start_ = 0;       // so that taking a line moves nothing; compacted before each read
  bool dropping_rest_ = false;  // of a line already returned cut
};

struct LogHistory {
  std::vector<std::string> lines;  // oldest first
  // Whether kMaxTailBytes ran out before the lines asked for were found.
  bool byte_cap_reached = false;
};

// The last `n` lines before `follower`'s starting point: from its file up to its start offset,
// then from DIR/log.1, DIR/log.2, ... as needed. Reads backwards from that point, each byte
// once, and stops after kMaxTailBytes.
LogHistory LastLogLines(const LogFollower& follower, size_t n);

}  // namespace corral::agent
