// The defaults and limits of ServerSpec's fields (proto/corral/v1/server.proto), each written
// once. ValidateSpec (spec_validation.h) fills these into a spec; the protocol and model option
// structs start from the same values, so a handler built without a spec behaves like one built
// from a spec that left the field at 0. Constants only, so any layer may include it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace corral::spec {

// --- What the server does (fields 5 to 12, 21 on). Durations in milliseconds. ---
inline constexpr uint32_t kDefaultMaxWorkers = 1024;
// Without a stats scoreboard; with one, its slot count bounds max_workers further.
inline constexpr uint32_t kMaxMaxWorkers = 65'536;
inline constexpr uint32_t kDefaultStopTimeoutMs = 5'000;
inline constexpr uint32_t kMaxStopTimeoutMs = 600'000;
inline constexpr uint32_t kDefaultIdleTimeoutMs = 60'000;
inline constexpr uint32_t kMaxIdleTimeoutMs = 86'400'000;
inline constexpr uint32_t kMaxPoolSize = 4096;
inline constexpr uint32_t kMaxHubs = 256;
inline constexpr uint64_t kDefaultMaxUploadBytes = uint64_t{1} << 30;
inline constexpr uint32_t kDefaultFileCacheValidMs = 1'000;
inline constexpr uint32_t kMaxFileCacheValidMs = 3'600'000;
// http: a request head's deadline when the spec leaves it 0 is this or the idle timeout,
// whichever is shorter (a slow head should not outlast a silent connection).
inline constexpr uint32_t kDefaultHeaderTimeoutCapMs = 10'000;
inline constexpr uint32_t kMaxHeaderTimeoutMs = 86'400'000;

// Stream protocols: connections per client address served at once (0 would be no cap).
inline constexpr uint32_t kDefaultMaxConnectionsPerClient = 64;
inline constexpr uint32_t kMaxMaxConnectionsPerClient = 65'536;
// http and file: the pace a body must keep once its grace has passed.
inline constexpr uint32_t kDefaultBodyGraceMs = 10'000;
inline constexpr uint32_t kMaxBodyGraceMs = 86'400'000;
inline constexpr uint32_t kDefaultBodyMinRate = 1024;  // bytes per second
// coroutine: a greenlet holding its hub this long without yielding is reported as a stall.
inline constexpr uint32_t kDefaultStallBoundMs = 100;
inline constexpr uint32_t kMaxStallBoundMs = 600'000;

constexpr uint32_t DefaultHeaderTimeoutMs(uint32_t idle_timeout_ms) {
  return std::min(kDefaultHeaderTimeoutCapMs, idle_timeout_ms);
}

// How long corral-server lets in-flight connections finish after SIGTERM: the stop timeout less
// a fifth, so that under the agent (which sends SIGKILL once stop_timeout_ms has passed) the
// server's own cut and exit come first. Standalone the same spec drains the same way.
constexpr uint32_t DrainTimeoutMs(uint32_t stop_timeout_ms) {
  return stop_timeout_ms - stop_timeout_ms / 5;
}

// --- Supervision (fields 13 to 20): read by the agent only. ---
inline constexpr uint32_t kDefaultBackoffInitialMs = 100;
inline constexpr uint32_t kMaxBackoffInitialMs = 600'000;
inline constexpr uint32_t kDefaultBackoffMaxMs = 30'000;
inline constexpr uint32_t kMaxBackoffMaxMs = 3'600'000;
inline constexpr uint32_t kDefaultStableAfterMs = 10'000;
inline constexpr uint32_t kMaxStableAfterMs = 86'400'000;
inline constexpr uint32_t kDefaultMaxFailures = 5;
inline constexpr uint32_t kMaxMaxFailures = 1000;
inline constexpr uint32_t kDefaultReadyTimeoutMs = 10'000;
inline constexpr uint32_t kMaxReadyTimeoutMs = 600'000;
inline constexpr uint64_t kDefaultLogMaxBytes = 10 << 20;
inline constexpr uint64_t kMinLogMaxBytes = 4096;
inline constexpr uint64_t kMaxLogMaxBytes = uint64_t{1} << 30;
inline constexpr uint32_t kDefaultLogKeepFiles = 5;
inline constexpr uint32_t kMaxLogKeepFiles = 100;

}  // namespace corral::spec
