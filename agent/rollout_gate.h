// The rollout gate's judgement (issue 22 item 3): what one new instance's own scoreboard says
// about it over the check window, from two reads of that scoreboard (at READY and at the
// window's end), against the reload's gates. Pure; any thread.
#pragma once

#include <string>

#include "servers/stats/snapshot.h"
#include "spec/rollout_fields.h"

namespace corral::agent {

struct GateVerdict {
  bool pass = true;
  // The figures were judged (enough requests in the window); false: too few, and `pass` says
  // what the gates' rule made of that (rollout_require_requests).
  bool judged = false;
  // "p99 84 ms > 50 ms (312 requests)", "error rate 50 % > 1 % (206 of 412 requests)",
  // "312 requests, 0 errors, p99 3.1 ms", or "not judged: 3 requests, fewer than 20
  // (--min-requests)".
  std::string summary;
};

// `base` and `cur` are reads of the instance's scoreboard, `cur` taken `window_ms` after `base`.
GateVerdict JudgeWindow(const spec::RolloutGates& gates, const stats::Snapshot& base,
                        const stats::Snapshot& cur);

// "84 ms", "3.1 ms", "0.42 ms": a latency for a person.
std::string FormatLatencyMs(uint64_t ns);

}  // namespace corral::agent
