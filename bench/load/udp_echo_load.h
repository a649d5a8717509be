// UDP echo load: each socket keeps one datagram in flight; an unanswered datagram is counted
// lost after the timeout and the next one is sent. Lost datagrams are not messages.
#pragma once

#include "bench/load/load_run.h"

namespace corral::load {

// Runs `count` sockets numbered from `first_id` for warmup + duration on the calling thread.
LoadResult RunUdpEcho(const LoadOptions& options, uint32_t first_id, int count);

}  // namespace corral::load
