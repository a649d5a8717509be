#include "agent/logger/rotating_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace corral::logger {

std::string TimestampPrefix(const timespec& now) {
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                now.tv_nsec / 1000);
  return buf;
}

RotatingLog::RotatingLog(std::string dir, uint64_t max_bytes, uint32_t keep_files, std::string file)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      max_bytes_(max_bytes),
      keep_files_(keep_files) {}

void RotatingLog::Reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

RotatingLog::~RotatingLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool RotatingLog::Open() {
  fd_ = ::open(path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return false;
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

void RotatingLog::Rotate() {
  ::close(fd_);
  fd_ = -1;
  const std::string base = path();
  if (keep_files_ == 0) {
    ::unlink(base.c_str());
    return;
  }
  // log.N-1 -> log.N, ..., log -> log.1; the oldest is replaced by the rename over it.
  for (uint32_t i = keep_files_; i > 1; --i) {
    std::string from = base + "." + std::to_string(i - 1);
    std::string to = base + "." + std::to_string(i);
    ::rename(from.c_str(), to.c_str());
  }
  ::rename(base.c_str(), (base + ".1").c_str());
}

bool RotatingLog::WriteLine(std::string_view line, const timespec& now) {
  std::string record = TimestampPrefix(now);
  record.append(line);
  record.push_back('\n');
  if (fd_ >= 0 && size_ > 0 && size_ + record.size() > max_bytes_) Rotate();
  if (fd_ < 0 && !Open()) return false;
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  size_ += record.size();
  return true;
}

bool RotatingLog::Feed(std::string_view bytes, const timespec& now) {
  bool ok = true;
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      while (partial_.size() >= kMaxLine) {
        ok = WriteLine(std::string_view(partial_).substr(0, kMaxLine), now) && ok;
        partial_.erase(0, kMaxLine);
      }
      return ok;
    }
    if (partial_.empty()) {
      ok = WriteLine(bytes.substr(0, newline), now) && ok;
    } else {
      partial_.append(bytes.substr(0, newline));
      ok = WriteLine(partial_, now) && ok;
      partial_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
  return ok;
}

bool RotatingLog::Flush(const timespec& now) {
  if (partial_.empty()) return true;
  bool ok = WriteLine(partial_, now);
  partial_.clear();
  return ok;
}

}  // namespace corral::logger
