// The coroutine model's stall watch: what a stall (coro/stall_detector.h) does in a server.
// It logs a warning naming the handler, the hub and how long the greenlet has held it so far,
// and counts it in the scoreboard (stats `stalls`, Prometheus corral_stalls_total), from which
// the agent raises a STALLED event.
#pragma once

#include <memory>

#include "servers/coro/stall_detector.h"
#include "servers/models/model.h"

namespace corral::models {

// Null when options.stall_bound is zero. Uses options.scoreboard, which outlives it.
std::shared_ptr<coro::StallDetector> MakeStallDetector(const ModelOptions& options);

}  // namespace corral::models
