#include "tests/servers/models/model_cases.h"

namespace corral::testing {

void PrintTo(const ModelCase& model, std::ostream* out) { *out << model.name; }

std::vector<ModelCase> AllModels() {
  return {
      {"thread", {"--model", "thread"}},
      {"fork", {"--model", "fork"}},
      {"thread_pool", {"--model", "thread", "--pool-size", "4"}},
      {"fork_pool", {"--model", "fork", "--pool-size", "4"}},
      {"coroutine", {"--model", "coroutine", "--hubs", "2"}},
      {"coroutine_one_hub", {"--model", "coroutine", "--hubs", "1"}},
  };
}

}  // namespace corral::testing
