#include "agent/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

// `value` quoted and escaped, cut to AuditLog::kMaxFieldBytes of input.
std::string Quote(absl::string_view value) {
  const bool cut = value.size() > AuditLog::kMaxFieldBytes;
  if (cut) value = value.substr(0, AuditLog::kMaxFieldBytes);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

int OpenAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

}  // namespace

std::string FormatAuditLine(const AuditRecord& record) {
  std::string method(record.method.substr(0, AuditLog::kMaxFieldBytes));
  for (char& c : method) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '/') c = '_';
  }
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", record.when, absl::UTCTimeZone()),
                      " who=", Quote(record.who), " peer=", Quote(record.peer), " method=", method,
                      " server=", Quote(record.server), " outcome=", Quote(record.outcome));
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& home) {
  const std::string path = Path(home);
  const int fd = OpenAppend(path);
  if (fd < 0) return base::SyscallError("open the audit log " + path, errno);
  return std::unique_ptr<AuditLog>(new AuditLog(path, fd));
}

AuditLog::AuditLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
  struct stat info {};
  if (::fstat(fd_, &info) == 0) size_ = info.st_size;
  writer_ = std::thread([this] { WriteLoop(); });
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

void AuditLog::Append(const AuditRecord& record) {
  std::string line = FormatAuditLine(record);
  line += '\n';
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= kMaxQueuedLines) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(line));
}

void AuditLog::WriteLoop() {
  for (;;) {
    std::deque<std::string> batch;
    uint64_t dropped = 0;
    bool closing = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closing_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      batch.swap(queue_);
      dropped = dropped_;
      dropped_ = 0;
      closing = closing_;
    }
    std::string text;
    if (dropped > 0) {
      text =
          absl::StrCat(FormatAuditLine({.when = absl::Now(),
                                        .who = "corral-agent",
                                        .method = "AuditLog",
                                        .outcome = absl::StrCat(dropped,
                                                                " lines dropped: the disk was too "
                                                                "slow for the queue")}),
                       "\n");
    }
    for (std::string& line : batch) text += line;
    if (!text.empty()) Write(text);
    if (closing) {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) return;
    }
  }
}

void AuditLog::Write(const std::string& text) {
  if (size_ + static_cast<int64_t>(text.size()) > kMaxFileBytes && size_ > 0) {
    const std::string old = path_ + ".1";
    if (std::rename(path_.c_str(), old.c_str()) == 0) {
      if (const int fd = OpenAppend(path_); fd >= 0) {
        ::close(fd_);
        fd_ = fd;
        size_ = 0;
      }
    }
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      spdlog::error("write the audit log {}: {}", path_, base::ErrnoText(errno));
      return;
    }
    written += static_cast<size_t>(n);
  }
  size_ += static_cast<int64_t>(written);
}

}  // namespace corral::agent
