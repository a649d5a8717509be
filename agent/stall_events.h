// StallEvents: the agent's side of the stall watch. A coroutine server counts in its scoreboard
// each time a handler held a hub past its stall bound (servers/models/hub_stall_watch.h); the
// agent looks at the running coroutine servers' counts once per period and publishes a STALLED
// event (with how many new stalls, in `reason`) when one rose. The server's own log line has
// the details (handler, hub, how long).
//
// Loop thread only: Start() and the ticks it schedules. `loop`, `supervisor` and `events` must
// outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "agent/event_bus.h"
#include "agent/event_loop.h"
#include "agent/supervisor.h"
#include "servers/stats/scoreboard_reader.h"

namespace corral::agent {

class StallEvents {
 public:
  StallEvents(EventLoop& loop, const Supervisor& supervisor, EventBus& events, std::string home,
              std::chrono::milliseconds period = std::chrono::seconds(1))
      : loop_(loop),
        supervisor_(supervisor),
        events_(events),
        home_(std::move(home)),
        period_(period) {}

  // Schedules the ticks, for as long as the loop runs.
  void Start();

 private:
  struct Watched {
    int32_t pid = 0;  // the process whose scoreboard is open
    stats::ScoreboardReader reader;
    uint64_t stalls = 0;  // the count last seen
  };
  void Tick();
  // The current count of `server`'s scoreboard, opening it for a new process; false when it
  // cannot be read now.
  bool Look(const v1::Server& server, uint64_t* stalls, bool* fresh);

  EventLoop& loop_;
  const Supervisor& supervisor_;
  EventBus& events_;
  const std::string home_;
  const std::chrono::milliseconds period_;
  std::map<std::string, Watched> watched_;
};

}  // namespace corral::agent
