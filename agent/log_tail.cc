#include "agent/log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>

namespace corral::agent {
namespace {

constexpr size_t kChunk = 64 * 1024;

// `line` cut to kMaxLineBytes, marked so that nobody takes it for the whole line.
std::string Cut(std::string line) {
  line.resize(kMaxLineBytes);
  line.append(kLineCutMarker);
  return line;
}

// The lines of [0, end) of a file, newest first, read backwards in chunks: each byte is read
// and scanned once, and a long line keeps only its first kMaxLineBytes in memory. A piece after
// the last newline before `end` is a line still being written, not yet whole: it is skipped.
class BackwardLines {
 public:
  // `budget` (bytes that may still be read) is shared by the readers of one tail.
  BackwardLines(int fd, off_t end, size_t* budget) : fd_(fd), pos_(end), budget_(budget) {}

  // The line before the one returned last; nullopt at the start of the file, on a read error,
  // or when the budget ran out first (the line it cut into is not returned).
  std::optional<std::string> Previous() {
    while (true) {
      if (unscanned_ == 0 && !Fill()) {
        // At the very start, the bytes before the first newline are the file's first line.
        if (pos_ != 0 || !have_line_end_) return std::nullopt;
        have_line_end_ = false;
        return TakeLine();
      }
      const char* newline = static_cast<const char*>(::memrchr(chunk_.data(), '\n', unscanned_));
      size_t from = newline == nullptr ? 0 : static_cast<size_t>(newline - chunk_.data()) + 1;
      Prepend(chunk_.data() + from, unscanned_ - from);
      unscanned_ = newline == nullptr ? 0 : from - 1;
      if (newline == nullptr) continue;
      // The newline found starts the pieces gathered: they are a whole line if a newline ends
      // them too, which only the unfinished piece at `end` lacks.
      bool whole = have_line_end_;
      have_line_end_ = true;
      std::string line = TakeLine();
      if (whole) return line;
    }
  }

  bool out_of_budget() const { return out_of_budget_; }

 private:
  // Reads the chunk before pos_, within the budget.
  bool Fill() {
    if (pos_ == 0) return false;
    size_t want = static_cast<size_t>(std::min<off_t>(pos_, kChunk));
    if (*budget_ == 0) {
      out_of_budget_ = true;
      return false;
    }
    want = std::min(want, *budget_);
    chunk_.resize(want);
    ssize_t got;
    do {
      got = ::pread(fd_, chunk_.data(), want, pos_ - static_cast<off_t>(want));
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(want)) return false;  // the file shrank or failed: stop
    pos_ -= static_cast<off_t>(want);
    *budget_ -= want;
    unscanned_ = want;
    return true;
  }

  // Adds `size` bytes before the pieces gathered, keeping only the line's first kMaxLineBytes.
  void Prepend(const char* data, size_t size) {
    if (size == 0) return;
    pieces_.emplace_front(data, size);
    line_bytes_ += size;
    kept_bytes_ += size;
    while (kept_bytes_ > kMaxLineBytes) {
      size_t excess = kept_bytes_ - kMaxLineBytes;
      if (pieces_.back().size() <= excess) {
        kept_bytes_ -= pieces_.back().size();
        pieces_.pop_back();
      } else {
        pieces_.back().resize(pieces_.back().size() - excess);
        kept_bytes_ -= excess;
      }
    }
  }

  std::string TakeLine() {
    std::string line;
    line.reserve(kept_bytes_ + kLineCutMarker.size());
    for (const std::string& piece : pieces_) line += piece;
    if (line_bytes_ > kMaxLineBytes) line = Cut(std::move(line));
    pieces_.clear();
    line_bytes_ = kept_bytes_ = 0;
    return line;
  }

  const int fd_;
  off_t pos_;  // file offset of chunk_[0]
  size_t* const budget_;
  std::string chunk_;
  size_t unscanned_ = 0;            // chunk_[0, unscanned_) is still to scan
  std::deque<std::string> pieces_;  // of the line being gathered, in file order
  size_t line_bytes_ = 0;           // the line's length so far, kept or not
  size_t kept_bytes_ = 0;           // in pieces_, at most kMaxLineBytes
  bool have_line_end_ = false;      // whether the pieces gathered end with a newline
  bool out_of_budget_ = false;
};

// Opens a log file as something a server may have replaced: a symlink is not followed, a FIFO
// cannot block the open, and anything but a regular file (a device that never ends) is refused.
// Invalid on any failure, which callers treat as "no such file".
base::UniqueFd OpenLogFile(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return base::UniqueFd();
  return fd;
}

}  // namespace

LogFollower::LogFollower(std::string dir) : dir_(std::move(dir)) {
  OpenCurrent(/*at_end=*/true);
  start_offset_ = offset_;
}

bool LogFollower::OpenCurrent(bool at_end) { return OpenFile(dir_ + "/log", at_end); }

bool LogFollower::OpenFile(const std::string& path, bool at_end) {
  base::UniqueFd fd = OpenLogFile(path);
  if (!fd) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return false;
  fd_ = std::move(fd);
  ino_ = st.st_ino;
  offset_ = at_end ? st.st_size : 0;
  buffer_.clear();
  line_start_ = 0;
  dropping_rest_ = false;
  return true;
}

bool LogFollower::Rotated() const {
  struct stat st {};
  return ::stat((dir_ + "/log").c_str(), &st) == 0 && st.st_ino != ino_;
}

std::string LogFollower::NextFile() const {
  // The file we finished is now log.K: the next newer is log.K-1 (or log). If it is gone
  // (rotated out while nobody read), the oldest that remains is the next.
  std::string oldest = dir_ + "/log";
  for (int k = 1; k <= kMaxRotated; ++k) {
    std::string path = dir_ + "/log." + std::to_string(k);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) break;
    if (st.st_ino == ino_) return k == 1 ? dir_ + "/log" : dir_ + "/log." + std::to_string(k - 1);
    oldest = path;
  }
  return oldest;
}

LogFollower::Take LogFollower::TakeBufferedLine(size_t room, std::string* line) {
  while (true) {
    size_t newline = buffer_.find('\n', line_start_);
    if (newline == std::string::npos) {
      if (buffer_.size() - line_start_ <= kMaxLineBytes) return Take::kNeedMore;
      if (dropping_rest_) {
        line_start_ = buffer_.size();
        return Take::kNeedMore;
      }
      if (kMaxLineBytes + kLineCutMarker.size() > room) return Take::kNoRoom;
      *line = Cut(buffer_.substr(line_start_, kMaxLineBytes));
      line_start_ = buffer_.size();
      dropping_rest_ = true;
      return Take::kLine;
    }
    if (dropping_rest_) {  // the end of a line returned cut
      line_start_ = newline + 1;
      dropping_rest_ = false;
      continue;
    }
    bool cut = newline - line_start_ > kMaxLineBytes;
    if (cut ? kMaxLineBytes + kLineCutMarker.size() > room : newline - line_start_ > room) {
      return Take::kNoRoom;
    }
    *line = buffer_.substr(line_start_, std::min(newline - line_start_, kMaxLineBytes));
    if (cut) *line = Cut(std::move(*line));
    line_start_ = newline + 1;
    return Take::kLine;
  }
}

void LogFollower::Poll(std::vector<std::string>* lines, size_t max_lines, size_t max_bytes) {
  if (!fd_ && !OpenCurrent(/*at_end=*/false)) return;
  size_t added = 0;
  size_t bytes = 0;
  size_t read = 0;  // this call: a file that only grows (with no newline) cannot keep it here
  char chunk[kChunk];
  while (added < max_lines && read < kMaxPollReadBytes) {
    // Whole lines already read come first.
    std::string line;
    Take took = Take::kNeedMore;
    while (added < max_lines &&
           (took = TakeBufferedLine(added == 0 ? SIZE_MAX : max_bytes - std::min(bytes, max_bytes),
                                    &line)) == Take::kLine) {
      bytes += line.size();
      lines->push_back(std::move(line));
      ++added;
    }
    if (added >= max_lines || took == Take::kNoRoom) return;
    // Dropping what was taken before appending keeps every byte moved at most once.
    buffer_.erase(0, line_start_);
    line_start_ = 0;
    ssize_t n = ::pread(fd_.get(), chunk, sizeof chunk, offset_);
    if (n > 0) {
      offset_ += n;
      read += static_cast<size_t>(n);
      buffer_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    // At the end of this file. If it was rotated away, everything the logger wrote to it is in
    // (it renames only after its last write), so move on to the new one.
    if (!Rotated()) return;
    if (!buffer_.empty() && !dropping_rest_) {
      lines->push_back(std::move(buffer_));
      ++added;
    }
    if (!OpenFile(NextFile(), /*at_end=*/false)) return;
  }
}

LogHistory LastLogLines(const LogFollower& follower, size_t n) {
  LogHistory history;
  if (n == 0) return history;
  size_t budget = kMaxTailBytes;
  // Newest first until the end, then reversed.
  auto gather = [&](int fd, off_t end) {
    BackwardLines reader(fd, end, &budget);
    while (history.lines.size() < n) {
      std::optional<std::string> line = reader.Previous();
      if (!line) break;
      history.lines.push_back(std::move(*line));
    }
    if (reader.out_of_budget()) history.byte_cap_reached = true;
  };
  if (follower.start_fd() >= 0) gather(follower.start_fd(), follower.start_offset());
  for (int i = 1;
       history.lines.size() < n && !history.byte_cap_reached && i <= LogFollower::kMaxRotated;
       ++i) {
    base::UniqueFd fd = OpenLogFile(follower.dir() + "/log." + std::to_string(i));
    if (!fd) break;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) break;
    gather(fd.get(), st.st_size);
  }
  std::reverse(history.lines.begin(), history.lines.end());
  return history;
}

}  // namespace corral::agent
