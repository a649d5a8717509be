// Reading a server's log as corral-logger writes it: DIR/log, rotated to DIR/log.1 (newest) ...
// DIR/log.N (oldest). LogFollower reads what is appended, across rotations, without losing or
// repeating a line; LastLogLines gives the history before the follower's starting point.
// Neither blocks (regular files) nor keeps state beyond its object; any single thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "servers/net/unique_fd.h"

namespace corral::agent {

class LogFollower {
 public:
  // Starts at the current end of DIR/log (or at its start, once it appears, if it does not
  // exist yet).
  explicit LogFollower(std::string dir);

  // Appends to `lines` the complete lines written since the last call, at most `max_lines`
  // (the rest wait for the next call). After a rotation, the rest of the renamed file is read
  // first, then each newer file from its start, up to the current DIR/log; only files rotated
  // out of existence (beyond keep_files) between two calls are missed.
  void Poll(std::vector<std::string>* lines, size_t max_lines);

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

  std::string dir_;
  net::UniqueFd fd_;
  ino_t ino_ = 0;
  off_t offset_ = 0;
  off_t start_offset_ = 0;
  std::string partial_;
};

// The last `n` lines (oldest first) before `follower`'s starting point: from its file up to its
// start offset, then from DIR/log.1, DIR/log.2, ... as needed.
std::vector<std::string> LastLogLines(const LogFollower& follower, size_t n);

}  // namespace corral::agent
