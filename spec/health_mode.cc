#include "spec/health_mode.h"

#include <cctype>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace corral::spec {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status CheckRange(const char* field, uint32_t value, uint32_t max) {
  if (value <= max) return absl::OkStatus();
  return Invalid(absl::StrCat(field, " ", value, " is above the limit of ", max));
}

}  // namespace

absl::StatusOr<HealthMode> ParseHealthMode(std::string_view text) {
  absl::string_view rest(text.data(), text.size());
  HealthMode mode;
  if (rest == "tcp") return mode;
  if (absl::ConsumePrefix(&rest, "http:")) {
    if (rest.empty() || rest[0] != '/' || absl::StrContains(rest, ' ') ||
        absl::StrContains(rest, '\r') || absl::StrContains(rest, '\n')) {
      return Invalid(absl::StrCat("health \"", std::string(text),
                                  "\": the path must start with '/' and hold no spaces"));
    }
    mode.kind = HealthMode::kHttp;
    mode.path = std::string(rest);
    return mode;
  }
  return Invalid(
      absl::StrCat("unknown health check \"", std::string(text), "\"; use http:/PATH or tcp"));
}

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  absl::string_view rest(text.data(), text.size());
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  uint64_t value = 0;
  const std::string suffix = absl::AsciiStrToUpper(rest.substr(digits));
  int shift = -1;
  if (suffix.empty() || suffix == "B") shift = 0;
  if (suffix == "K" || suffix == "KB" || suffix == "KIB") shift = 10;
  if (suffix == "M" || suffix == "MB" || suffix == "MIB") shift = 20;
  if (suffix == "G" || suffix == "GB" || suffix == "GIB") shift = 30;
  if (digits == 0 || shift < 0 || !absl::SimpleAtoi(rest.substr(0, digits), &value) ||
      value > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Invalid(absl::StrCat("size \"", std::string(text),
                                "\" is not a number of bytes with an optional K, M or G suffix"));
  }
  return value << shift;
}

absl::Status CheckHealthFields(v1::ServerSpec& spec, bool first_socket_tcp) {
  if (spec.health().empty()) {
    if (spec.health_interval_ms() != 0 || spec.health_timeout_ms() != 0 ||
        spec.health_failures() != 0) {
      return Invalid(
          "health_interval_ms, health_timeout_ms and health_failures need a health check "
          "(--health http:/PATH or tcp)");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<HealthMode> mode = ParseHealthMode(spec.health());
  if (!mode.ok()) return mode.status();
  if (!first_socket_tcp) {
    return Invalid(absl::StrCat("health ", spec.health(),
                                " probes the first socket, which must be a TCP listener: give a "
                                "--listen address"));
  }
  if (spec.health_interval_ms() == 0) spec.set_health_interval_ms(kDefaultHealthIntervalMs);
  if (spec.health_timeout_ms() == 0) spec.set_health_timeout_ms(kDefaultHealthTimeoutMs);
  if (spec.health_failures() == 0) spec.set_health_failures(kDefaultHealthFailures);
  if (absl::Status s =
          CheckRange("health_interval_ms", spec.health_interval_ms(), kMaxHealthIntervalMs);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange("health_timeout_ms", spec.health_timeout_ms(), kMaxHealthTimeoutMs);
      !s.ok()) {
    return s;
  }
  return CheckRange("health_failures", spec.health_failures(), kMaxHealthFailures);
}

}  // namespace corral::spec
