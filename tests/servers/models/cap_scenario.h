// The --max-workers cap scenario every model must pass, against a real corral-server.
#pragma once

#include <functional>

#include "tests/support/server_process.h"

namespace corral::testing {

// Against an echo `server` started with --max-workers 2: two clients are served and kept busy
// (each in the middle of an echo it does not read); a third connects and writes but gets
// nothing while they stay (`while_capped` then checks whatever else the model shows); once one
// leaves, the third is served, and the other busy one is never cut. (Idle connections would
// yield to the third instead: waiting_clients_test.cc.) Reports failures through gtest.
void ExpectCapPausesAcceptingWithoutDropping(const ServerProcess& server,
                                             const std::function<void()>& while_capped = {});

}  // namespace corral::testing
