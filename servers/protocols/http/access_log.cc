#include "servers/protocols/http/access_log.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace corral::http {
namespace {

// Appends `text` to [*at, end), as much as fits; returns false if it was cut.
bool Append(char*& at, char* end, std::string_view text) {
  std::size_t n = std::min<std::size_t>(text.size(), static_cast<std::size_t>(end - at));
  std::memcpy(at, text.data(), n);
  at += n;
  return n == text.size();
}

}  // namespace

std::unique_ptr<AccessLog> AccessLog::Open(int fd) {
  // O_APPEND keeps a regular file's appends appends; a pipe or terminal ignores it.
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  int own = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
  if (own >= 0) return std::unique_ptr<AccessLog>(new AccessLog(own, true));
  return std::unique_ptr<AccessLog>(new AccessLog(fd, false));
}

AccessLog::~AccessLog() {
  if (owned_) ::close(fd_);
}

void AccessLog::Write(std::string_view method, std::string_view target, int status,
                      std::uint64_t bytes, std::chrono::nanoseconds duration) const {
  static_assert(PIPE_BUF >= 4096);
  char line[kMaxTarget + 256];
  char* at = line;
  char* const end = line + sizeof line;
  if (std::uint64_t dropped = dropped_.exchange(0, std::memory_order_relaxed); dropped > 0) {
    at += std::snprintf(at, static_cast<std::size_t>(end - at), "[%llu access lines dropped] ",
                        static_cast<unsigned long long>(dropped));
  }
  Append(at, end, "access ");
  Append(at, end, method.empty() ? std::string_view("-") : method.substr(0, 32));
  Append(at, end, " ");
  if (target.empty()) target = "-";
  const std::size_t shown = std::min(target.size(), kMaxTarget);
  for (std::size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(target[i]);
    *at++ = c <= ' ' || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (shown < target.size()) Append(at, end, "...");
  at += std::snprintf(at, static_cast<std::size_t>(end - at), " %d %llu %lldus\n", status,
                      static_cast<unsigned long long>(bytes),
                      static_cast<long long>(duration.count() / 1000));
  if (at > end) at = end;  // snprintf cut the line: it still ends in one piece
  for (;;) {
    ssize_t n = ::write(fd_, line, static_cast<std::size_t>(at - line));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) dropped_.fetch_add(1, std::memory_order_relaxed);  // full pipe: never wait
    return;
  }
}

}  // namespace corral::http
