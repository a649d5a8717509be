// RotatingLog: the file side of corral-logger (and of the daemon agent's HOME/agent.log).
// Appends timestamped lines to DIR/log (DIR/FILE) and, once it would grow past `max_bytes`,
// renames it to log.1 (log.1 to log.2, ...), dropping the file beyond `keep_files`. One writer
// per file (the logger of one server process at a time, or the one agent of a home), so
// rotation needs no lock and loses no line. Single-threaded: a caller sharing one between
// threads holds its own lock around every call.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace corral::logger {

class RotatingLog {
 public:
  RotatingLog(std::string dir, uint64_t max_bytes, uint32_t keep_files, std::string file = "log");
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;

  // Feeds raw output. Every complete line is written with its timestamp; a partial line waits
  // for its end (or Flush), except that one longer than kMaxLine is cut there.
  // Returns false after a write error (errno set), which the caller reports once.
  bool Feed(std::string_view bytes, const timespec& now);

  // Writes a pending partial line (at EOF).
  bool Flush(const timespec& now);

  // Closes the file so that the next line opens `path()` anew: after logrotate moved it away
  // (SIGHUP), lines go to a new file instead of following the moved one.
  void Reopen();

  std::string path() const { return dir_ + "/" + file_; }

  static constexpr size_t kMaxLine = 64 * 1024;

 private:
  bool WriteLine(std::string_view line, const timespec& now);
  bool Open();
  void Rotate();

  std::string dir_;
  std::string file_;
  uint64_t max_bytes_;
  uint32_t keep_files_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string partial_;
};

// "2026-11-30T04:30:00.123456Z " for `now`, the prefix of every line.
std::string TimestampPrefix(const timespec& now);

}  // namespace corral::logger
