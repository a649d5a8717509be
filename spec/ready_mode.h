// ReadyMode: when a server's process counts as ready (ServerSpec.ready), parsed from its text
// form: "notify", "http:/PATH" or "delay:MS". Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace corral::spec {

inline constexpr char kDefaultCommandReady[] = "delay:1000";

struct ReadyMode {
  enum Kind { kNotify, kHttp, kDelay };
  Kind kind = kNotify;
  std::string path;       // kHttp: the request target, starting with '/'
  uint32_t delay_ms = 0;  // kDelay
};

// INVALID_ARGUMENT naming what would be accepted.
absl::StatusOr<ReadyMode> ParseReadyMode(std::string_view text);

}  // namespace corral::spec
