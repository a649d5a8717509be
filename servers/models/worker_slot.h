// ClaimWorkerSlot: where a model's worker (process, thread or hub) gets its scoreboard slot
// (servers/stats), in which ServeConnection and ServeDatagram count what it serves.
#pragma once

#include <optional>

#include "servers/stats/scoreboard.h"

namespace corral::models {

// A slot for the calling worker (process, thread or hub), claimed on the thread that will write
// it. nullopt when the server keeps no stats (`board` null) or every slot is taken (logged; the
// worker then runs uncounted rather than not at all).
std::optional<stats::SlotWriter> ClaimWorkerSlot(stats::Scoreboard* board);

}  // namespace corral::models
