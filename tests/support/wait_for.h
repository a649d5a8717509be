// WaitFor: how a test waits for something that happens in its own time (a process to exit, a
// server to take a signal, a count to grow) instead of sleeping a fixed while and hoping.
#pragma once

#include <chrono>
#include <functional>

namespace corral::testing {

// The deadline a test gives something that normally takes milliseconds: long enough for a
// loaded two-core machine under sanitizers, and well inside ctest's timeout, so that a hang
// fails with the test's own message instead of a killed binary.
inline constexpr std::chrono::milliseconds kWaitLimit = std::chrono::seconds(20);

// Calls `condition` until it returns true or `limit` has passed; returns whether it did. The
// first call is at once, later ones at intervals growing from 1 ms to 20 ms, so a quick
// condition costs no latency and a slow one does not spin. Runs on the caller's thread.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit = kWaitLimit);

}  // namespace corral::testing
