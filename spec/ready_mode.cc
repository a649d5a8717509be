#include "spec/ready_mode.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace corral::spec {

absl::StatusOr<ReadyMode> ParseReadyMode(std::string_view text) {
  absl::string_view rest(text.data(), text.size());
  ReadyMode mode;
  if (rest == "notify") return mode;
  if (absl::ConsumePrefix(&rest, "http:")) {
    if (rest.empty() || rest[0] != '/' || absl::StrContains(rest, ' ') ||
        absl::StrContains(rest, '\r') || absl::StrContains(rest, '\n')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ready \"", std::string(text), "\": the path must start with '/' and hold no spaces"));
    }
    mode.kind = ReadyMode::kHttp;
    mode.path = std::string(rest);
    return mode;
  }
  if (absl::ConsumePrefix(&rest, "delay:")) {
    if (!absl::SimpleAtoi(rest, &mode.delay_ms)) {
      return absl::InvalidArgumentError(
          absl::StrCat("ready \"", std::string(text), "\": the delay is not a number of ms"));
    }
    mode.kind = ReadyMode::kDelay;
    return mode;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ready \"", std::string(text),
                                                 "\"; use notify, http:/PATH or delay:MS"));
}

}  // namespace corral::spec
