// RestartPolicy: what the agent does when a server's process ends on its own. Pure: the exit,
// how long the process ran and the failures so far go in; the event for the state table, the new
// failure count and the backoff delay come out. No clock, no randomness of its own (the caller
// passes the jitter), so every case is unit-tested.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/exit_info.h"
#include "agent/server_state.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

// The policy's defaults are filled into the spec by spec::ValidateSpec (spec/spec_defaults.h).
// Each backoff delay is scaled by a factor in [1 - kJitter, 1 + kJitter], so servers that crash
// together do not restart in lockstep.
inline constexpr double kJitter = 0.2;

struct RestartDecision {
  // kExitedRestart (BACKOFF), kExitedGiveUp (FATAL), kExitedBadConfig (FAILED) or kExitedDone
  // (STOPPED).
  ServerEvent event = ServerEvent::kExitedRestart;
  uint32_t consecutive_failures = 0;
  std::chrono::milliseconds delay{0};  // meaningful for kExitedRestart only
  std::string reason;                  // for the server's `reason`; empty for kExitedDone
};

// `spec` has its defaults filled in (ValidateSpec). `was_ready`: the process had said READY;
// `uptime`: how long it ran; `failures_before`: Server.consecutive_failures; `jitter` in [-1, 1]
// (uniformly random in production, fixed in tests).
RestartDecision DecideAfterExit(const v1::ServerSpec& spec, const ExitInfo& exit, bool was_ready,
                                std::chrono::milliseconds uptime, uint32_t failures_before,
                                double jitter);

// The backoff before restart number `failures` (>= 1) of a run of quick failures: initial,
// 2 x initial, 4 x initial, ... capped at `max`, then scaled by 1 + kJitter * jitter.
std::chrono::milliseconds BackoffDelay(uint32_t failures, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double jitter);

}  // namespace corral::agent
