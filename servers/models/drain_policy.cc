#include "servers/models/drain_policy.h"

#include "spdlog/spdlog.h"

namespace corral::models {

size_t DrainWithin(net::Deadline deadline, std::string_view workers, const DrainSteps& steps) {
  if (steps.wait_until_finished(deadline)) return 0;
  spdlog::warn("drain deadline passed; cutting {} {}", steps.running(), workers);
  steps.cut();
  if (steps.wait_until_finished(net::Clock::now() + kCutGrace)) return 0;
  const size_t left = steps.running();
  spdlog::warn("{} {} still running after the cut", left, workers);
  return left;
}

}  // namespace corral::models
