// The cooperative entries of the handler host table (corral/handler.h: sleep_until, spawn,
// join, event_*, queue_*, mutex_*, timeout_push/pop), as C functions over corral::cooperative.
//
// Each entry parks the calling greenlet on a coroutine hub and blocks the calling thread
// elsewhere (servers/cooperative/where.h), and maps the library's statuses to corral_status:
// OK -> CORRAL_OK, DEADLINE_EXCEEDED -> CORRAL_TIMEOUT, CANCELLED -> CORRAL_CANCELLED, a closed
// queue -> CORRAL_QUEUE_CLOSED, a null object -> CORRAL_INVALID, anything else -> CORRAL_ERROR.
// The objects they create are owned by the plugin (freed by its *_free / join calls). join is
// the one call a cancelled caller still waits in: the task may use what the caller owns.
//
// Thread affinity: FillCooperative once, before the table is handed out; the entries from any
// thread or greenlet of the process.
#pragma once

#include <corral/handler.h>

namespace corral::handler {

// Sets exactly the cooperative entries of `host`; leaves every other field as it is.
void FillCooperative(corral_host* host);

}  // namespace corral::handler
