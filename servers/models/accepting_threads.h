// ServeStreamsOnAcceptingThreads: the thread model's connection loop. Every connection still
// has a thread of its own for its whole life, as under Python's ThreadingMixIn, but no thread
// hands connections out: each waiting thread blocks in accept(2) itself, and a thread whose
// connection ended goes back to accept the next one (the leader/follower pattern). A connection
// then costs its thread one wake-up, where an accepting thread that hands it over costs two
// threads a wake-up and a sleep each; on a VM, where a context switch is the dearest thing a
// short connection does, that is most of its cost.
//
// Threads are started on demand: the thread that takes the last waiting place starts another
// before it serves, up to max_workers threads, so at the cap every thread is serving and new
// clients wait in the listen backlog. A waiting thread that sees no connection for a while
// exits, unless it is the last one waiting. accept(2) wakes one blocked thread per connection,
// so idle threads add no wake-ups.
#pragma once

#include "absl/status/status.h"
#include "base/unique_fd.h"
#include "servers/models/model.h"
#include "servers/protocols/stream_protocol.h"

namespace corral::models {

// Serves connections accepted on `listener` until `stop_fd` becomes readable; then refuses new
// clients (the listener is shut down and closed), gives connections in flight
// options.drain_timeout to finish, shuts down the sockets of the rest, and returns. An error
// when the listener itself fails, and WorkersStillRunning when a thread outlives the cut (see
// Model::ServeStreams). `listener` is made blocking. Uses options.max_workers,
// drain_timeout and scoreboard.
absl::Status ServeStreamsOnAcceptingThreads(base::UniqueFd listener, int stop_fd,
                                            const protocols::StreamProtocol& protocol,
                                            const ModelOptions& options);

}  // namespace corral::models
