#include "tests/support/wait_for.h"

#include <algorithm>
#include <thread>

namespace corral::testing {

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::chrono::milliseconds interval(1);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // The one sleep tests need: the pause between two looks at the condition.
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace corral::testing
