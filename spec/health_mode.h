// The health fields of a ServerSpec (issue 21 items 4 and 6): the liveness probe
// ("http:/PATH" or "tcp", its interval, timeout and failure count) and the memory guard
// (memory_max_bytes). Parsing and validation only; the agent runs the probe
// (agent/health_check.h) and the guard (agent/memory_guard.h). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {

inline constexpr uint32_t kDefaultHealthIntervalMs = 5000;
inline constexpr uint32_t kDefaultHealthTimeoutMs = 1000;
inline constexpr uint32_t kDefaultHealthFailures = 3;
inline constexpr uint32_t kMaxHealthIntervalMs = 3'600'000;
inline constexpr uint32_t kMaxHealthTimeoutMs = 600'000;
inline constexpr uint32_t kMaxHealthFailures = 100;

struct HealthMode {
  enum Kind { kHttp, kTcp };
  Kind kind = kTcp;
  std::string path;  // kHttp: the request target, starting with '/'
};

// "http:/PATH" or "tcp". INVALID_ARGUMENT naming what would be accepted.
absl::StatusOr<HealthMode> ParseHealthMode(std::string_view text);

// "512M" -> 536870912: a number of bytes with an optional K, M or G suffix (powers of 1024;
// "KiB", "MB" and lower case are accepted too). INVALID_ARGUMENT for anything else or a value
// past 2^64.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

// Checks the health fields of `spec` and fills the probe's defaults when `health` is set.
// `first_socket_tcp`: the server's first socket is a TCP listener (what the probe connects
// to). Errors name the field.
absl::Status CheckHealthFields(v1::ServerSpec& spec, bool first_socket_tcp);

}  // namespace corral::spec
