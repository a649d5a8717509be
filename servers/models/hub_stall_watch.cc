#include "servers/models/hub_stall_watch.h"

#include <string>

#include "spdlog/spdlog.h"

namespace corral::models {

std::shared_ptr<coro::StallDetector> MakeStallDetector(const ModelOptions& options) {
  if (options.stall_bound.count() <= 0) return nullptr;
  return std::make_shared<coro::StallDetector>(
      options.stall_bound, [name = options.handler_name, bound = options.stall_bound,
                            scoreboard = options.scoreboard](const coro::StallDetector::Stall& s) {
        spdlog::warn(
            "handler {}: hub {} stalled: one greenlet has held it for {} ms so far without "
            "yielding (stall bound {} ms): a busy loop or a blocking call in the handler",
            name, s.hub, s.so_far.count(), bound.count());
        if (scoreboard != nullptr) scoreboard->OnStall();
      });
}

}  // namespace corral::models
