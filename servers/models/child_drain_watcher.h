// StartChildDrainWatcher: how a forked worker process learns that the server drains. The server
// sends each child SIGTERM; the child keeps it blocked (the mask is inherited), so it stays
// pending and the server's stop signalfd, inherited too, reports it (a signalfd reads the
// signals of the process reading it). A thread of the child's own waits for that and calls
// BeginDrain on the child's copy of the protocol, as the thread and coroutine models call it on
// their one copy: http then answers the next request on each keep-alive connection with
// Connection: close and ends the idle ones, instead of sitting out the drain window with them
// until SIGKILL. Nothing runs in a signal handler.
#pragma once

#include "servers/protocols/stream_protocol.h"

namespace corral::models {

// Call in a forked child, before it serves. `stop_fd` is the server's stop signalfd, polled and
// never read, so the child's own loop (a pool worker's) still sees it. The thread is detached
// and ends with the process (workers leave with _exit); `protocol` must live until then. If the
// thread cannot be started the child serves on without it (logged): its connections then end
// at the drain deadline, as before.
void StartChildDrainWatcher(int stop_fd, const protocols::StreamProtocol& protocol);

}  // namespace corral::models
