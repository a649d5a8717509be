#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corral::stats {

// Errors counted per worker slot. Values index arrays in the file layout: append only.
enum class ErrorKind : uint32_t {
  kTimeout = 0,       // a read/write deadline passed
  kReset = 1,         // the peer reset or broke the connection (ECONNRESET, EPIPE)
  kProtocol = 2,      // malformed request, answered with an error or dropped
  kRefusedAtCap = 3,  // connection refused because the worker/connection cap was reached
  // A request's head was not complete within the header timeout, counted from the accept or
  // the previous response (http: 408, or a quiet close if nothing arrived).
  kHeaderTimeout = 4,
  kBodyTimeout = 5,       // a request or upload body arrived slower than its minimum rate
  kRefusedPerClient = 6,  // closed at once: its client had --max-connections-per-client
  // UDP: datagrams the kernel dropped before the server read them (receive buffer full). Not
  // counted per slot: the kernel counts per socket (ListenerSection::kernel_drops_*).
  kDropped = 7,
};
inline constexpr size_t kErrorKindCount = 8;

constexpr std::string_view ErrorKindName(ErrorKind k) {
  switch (k) {
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kReset:
      return "reset";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kRefusedAtCap:
      return "refused_at_cap";
    case ErrorKind::kHeaderTimeout:
      return "header_timeout";
    case ErrorKind::kBodyTimeout:
      return "body_timeout";
    case ErrorKind::kRefusedPerClient:
      return "refused_per_client";
    case ErrorKind::kDropped:
      return "dropped";
  }
  return "unknown";
}

}  // namespace corral::stats
