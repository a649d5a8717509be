// FUZZ_CHECK: an invariant a fuzz target asserts beyond "does not crash". A broken one prints
// what broke and aborts, so libFuzzer saves the input as a crash and the replay test fails on it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace corral::fuzz {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s (%.*s)\n", file, line, condition,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace corral::fuzz

// `detail` is anything convertible to std::string_view, evaluated only on failure.
#define FUZZ_CHECK(condition, detail)                                                        \
  do {                                                                                       \
    if (!(condition)) ::corral::fuzz::CheckFailed(__FILE__, __LINE__, #condition, (detail)); \
  } while (false)
