// The --max-workers cap scenario every model must pass, against a real corral-server.
#pragma once

#include <functional>

#include "tests/support/server_process.h"

namespace corral::testing {

// Against an echo `server` started with --max-workers `cap`: `cap` clients are served and kept
// busy (each in the middle of an echo it does not read); `waiting` more connect and write but get
// nothing while they stay (`while_capped` then checks whatever else the model shows); once one
// leaves, they are served, and the other busy ones are never cut. (Idle connections would yield
// to them instead: waiting_clients_test.cc.) Reports failures through gtest.
void ExpectCapPausesAcceptingWithoutDropping(const ServerProcess& server,
                                             const std::function<void()>& while_capped = {},
                                             int cap = 2, int waiting = 1);

}  // namespace corral::testing
