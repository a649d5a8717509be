#include "agent/log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

namespace corral::agent {
namespace {

constexpr size_t kChunk = 64 * 1024;

// The last `n` lines of `fd` before `end`, oldest first, prepended to `out` (which holds newer
// lines). Reads backwards in chunks, so a large log costs only what is shown.
void PrependLastLines(int fd, off_t end, size_t n, std::vector<std::string>* out) {
  std::string tail;  // the bytes read so far, [pos, end)
  off_t pos = end;
  auto complete_lines = [&tail] {
    return static_cast<size_t>(std::count(tail.begin(), tail.end(), '\n'));
  };
  // One more newline than lines wanted: the one ending the line before the first we keep.
  while (pos > 0 && complete_lines() <= n) {
    size_t want = static_cast<size_t>(std::min<off_t>(pos, kChunk));
    std::string chunk(want, '\0');
    ssize_t got = ::pread(fd, chunk.data(), want, pos - static_cast<off_t>(want));
    if (got <= 0) break;
    chunk.resize(static_cast<size_t>(got));
    pos -= static_cast<off_t>(want);
    tail.insert(0, chunk);
  }
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < tail.size()) {
    size_t nl = tail.find('\n', start);
    if (nl == std::string::npos) break;  // a line still being written at `end`: not yet whole
    lines.push_back(tail.substr(start, nl - start));
    start = nl + 1;
  }
  // The first piece is cut mid-line unless we read from the very start of the file.
  if (pos > 0 && !lines.empty()) lines.erase(lines.begin());
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  out->insert(out->begin(), lines.begin(), lines.end());
}

}  // namespace

LogFollower::LogFollower(std::string dir) : dir_(std::move(dir)) {
  OpenCurrent(/*at_end=*/true);
  start_offset_ = offset_;
}

bool LogFollower::OpenCurrent(bool at_end) { return OpenFile(dir_ + "/log", at_end); }

bool LogFollower::OpenFile(const std::string& path, bool at_end) {
  net::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return false;
  fd_ = std::move(fd);
  ino_ = st.st_ino;
  offset_ = at_end ? st.st_size : 0;
  partial_.clear();
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

void LogFollower::Poll(std::vector<std::string>* lines, size_t max_lines) {
  if (!fd_ && !OpenCurrent(/*at_end=*/false)) return;
  size_t added = 0;
  char buf[kChunk];
  while (added < max_lines) {
    // Whole lines already read come first.
    size_t nl;
    while (added < max_lines && (nl = partial_.find('\n')) != std::string::npos) {
      lines->push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
      ++added;
    }
    if (added >= max_lines) return;
    ssize_t n = ::pread(fd_.get(), buf, sizeof buf, offset_);
    if (n > 0) {
      offset_ += n;
      partial_.append(buf, static_cast<size_t>(n));
      continue;
    }
    // At the end of this file. If it was rotated away, everything the logger wrote to it is in
    // (it renames only after its last write), so move on to the new one.
    if (!Rotated()) return;
    if (!partial_.empty()) {
      lines->push_back(partial_);
      ++added;
    }
    if (!OpenFile(NextFile(), /*at_end=*/false)) return;
  }
}

std::vector<std::string> LastLogLines(const LogFollower& follower, size_t n) {
  std::vector<std::string> lines;
  if (n == 0) return lines;
  if (follower.start_fd() >= 0)
    PrependLastLines(follower.start_fd(), follower.start_offset(), n, &lines);
  for (int i = 1; lines.size() < n && i <= LogFollower::kMaxRotated; ++i) {
    net::UniqueFd fd(
        ::open((follower.dir() + "/log." + std::to_string(i)).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) break;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) break;
    PrependLastLines(fd.get(), st.st_size, n - lines.size(), &lines);
  }
  return lines;
}

}  // namespace corral::agent
