// corral-server's exit codes: the supervisor's respawn decision depends on them.
#pragma once

namespace corral {

// Clean stop (SIGTERM or SIGINT, drained).
inline constexpr int kExitOk = 0;
// A failure while serving; respawning may help.
inline constexpr int kExitRuntimeFailure = 1;
// The server cannot run with this configuration (bad flags, port in use, bad root): respawning
// would fail the same way, so the supervisor must not (EX_CONFIG from sysexits.h).
inline constexpr int kExitBadConfig = 78;

}  // namespace corral
