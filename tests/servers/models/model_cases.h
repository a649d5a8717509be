// The model configurations every protocol's integration tests run under: thread, fork, both
// pools and the coroutine model with one and two hubs, as corral-server flags.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace corral::testing {

struct ModelCase {
  std::string name;  // also the test name suffix
  std::vector<std::string> flags;
};

void PrintTo(const ModelCase& model, std::ostream* out);

std::vector<ModelCase> AllModels();

// For INSTANTIATE_TEST_SUITE_P: names each instance after its model case.
inline std::string ModelCaseName(const ::testing::TestParamInfo<ModelCase>& info) {
  return info.param.name;
}

}  // namespace corral::testing
