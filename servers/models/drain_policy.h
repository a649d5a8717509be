// DrainPolicy: how every model ends the work in flight once the server is asked to stop. The
// model has already stopped taking new work; then, the same under fork, thread and coroutine:
//   1. wait, until the drain deadline, for every worker to finish on its own;
//   2. cut what is left (threads: their sockets shut down; processes: SIGKILL; greenlets:
//      killed at their next blocking point);
//   3. give what was cut kCutGrace to unwind;
//   4. count the survivors: workers still running that may still use what the model lent them.
// The model supplies the three steps that differ (wait, cut, count); the order, the grace and
// the log lines live here only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "servers/net/stream.h"

namespace corral::models {

// How long workers cut by a drain get to unwind before they are counted as survivors. A thread
// whose socket was shut down, a greenlet killed at a blocking point and a SIGKILLed process all
// end within milliseconds unless something else holds them.
inline constexpr std::chrono::milliseconds kCutGrace{1000};

struct DrainSteps {
  // Waits until every worker has finished or `deadline` has passed; true when all finished.
  absl::FunctionRef<bool(net::Deadline deadline)> wait_until_finished;
  // Cuts every worker still running; returns how many it cut.
  absl::FunctionRef<size_t()> cut;
  // How many workers are still running.
  absl::FunctionRef<size_t()> running;
};

// Runs the drain described at the top of this file with `deadline` as step 1's end, and returns
// how many workers survive it (0: all finished or unwound). `workers` names them in the log
// ("worker thread(s)"). Blocks the calling thread (or greenlet) for at most the time to the
// deadline plus kCutGrace.
size_t DrainWithin(net::Deadline deadline, std::string_view workers, const DrainSteps& steps);

}  // namespace corral::models
