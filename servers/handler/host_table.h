// HostTable: the one corral_host a process hands every handler plugin's init, assembled once
// from each part's fill function. Valid for the life of the process; read-only after it is built,
// so any worker (thread, forked process, greenlet) may call through it at once.
#pragma once

#include "corral/handler.h"

namespace corral::handler {

// Builds the table at the first call (thread-safe) and returns it.
const corral_host* HostTable();

}  // namespace corral::handler
