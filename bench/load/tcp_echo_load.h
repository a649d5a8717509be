// TCP echo load: each connection keeps exactly one message in flight (send it, read the whole
// echo, verify every byte, send the next), driven by one epoll loop per thread.
#pragma once

#include "bench/load/load_run.h"

namespace corral::load {

// Runs `count` connections numbered from `first_id` for warmup + duration, on the calling
// thread. A connection that fails or returns a wrong echo is counted and closed, never retried.
LoadResult RunTcpEcho(const LoadOptions& options, uint32_t first_id, int count);

}  // namespace corral::load
