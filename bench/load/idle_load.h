// Idle connections: opens N TCP connections, proves each is served (one echo), prints
// "ready N" on stdout so a caller can sample the server's memory, holds them silent for
// options.idle_hold, then proves each is still open and served (a second echo).
#pragma once

#include "bench/load/load_run.h"

namespace corral::load {

// messages counts connections that passed both echoes; every other one is a connection error
// (or a wrong echo). Setup and each echo round are bounded by kIdlePhaseTimeout.
LoadResult RunIdle(const LoadOptions& options, int count);

}  // namespace corral::load
