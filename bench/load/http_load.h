// corral-load's HTTP mode: GET requests over `count` connections (slots first_id.. of
// options.connections), closed loop (one request in flight per connection, the next sent when
// its answer arrives) or open loop (options.rate > 0: each connection sends on its own fixed
// schedule, pipelining when an answer is late, and latency counts from the scheduled time).
// Every response's status and body length are checked; the answers each connection got are
// counted, so a server that leaves some connections unanswered shows it (wrk reports only the
// connections that progress). Runs on the calling thread; blocks until the run ends.
#pragma once

#include <cstdint>

#include "bench/load/load_run.h"

namespace corral::load {

// The request corral-load sends for `options` (also what a test server expects).
std::string HttpRequest(const LoadOptions& options);

LoadResult RunHttp(const LoadOptions& options, uint32_t first_id, int count);

}  // namespace corral::load
