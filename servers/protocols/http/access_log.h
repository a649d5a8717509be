// AccessLog: the http protocol's access log, one line per answered request on the server's
// stdout (under corral-agent: the server's log, where corral-logger adds the one timestamp):
//   access GET /index.html 200 612 143us
// that is the method, the request-target as sent (cut at kMaxTarget bytes, control bytes and
// spaces shown as '?'), the status, the body bytes sent, and the time from the request's first
// byte read to its last byte written.
//
// Cost on the serving path: a line is formatted into a stack buffer and written with one
// write(2) of at most PIPE_BUF bytes (so lines from threads and forked workers never interleave)
// to a non-blocking file description of its own for stdout: when the reader (the logger) lags
// and the pipe is full, the line is dropped and counted rather than the worker blocked. Lines
// dropped are reported in the next line written ("[N access lines dropped]").
//
// Thread-safe (const Write from any thread, greenlet or forked worker). Created before serving;
// shared by every connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace corral::http {

class AccessLog {
 public:
  static constexpr std::size_t kMaxTarget = 1024;

  // Writes to a new file description of `fd` (its /proc/self/fd entry, opened non-blocking),
  // or to `fd` itself where that cannot be opened. `fd` must stay open while this lives.
  static std::unique_ptr<AccessLog> Open(int fd);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(std::string_view method, std::string_view target, int status, std::uint64_t bytes,
             std::chrono::nanoseconds duration) const;

  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  AccessLog(int fd, bool owned) : fd_(fd), owned_(owned) {}
  const int fd_;
  const bool owned_;
  mutable std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace corral::http
