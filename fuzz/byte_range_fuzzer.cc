// Fuzzes Range evaluation (servers/protocols/http/byte_range.h). Input: the representation's
// size in decimal on the first line (saturating; no line means size 0), then the Range field
// value, e.g. "1000\nbytes=0-499". Checks that a partial answer lies inside the representation
// and is never empty, and that the decision agrees with the RFC 9110 rules the header states.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "servers/protocols/http/byte_range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using corral::http::RangeDecision;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::uint64_t length = 0;
  const std::size_t newline = input.find('\n');
  if (newline != std::string_view::npos) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    for (char c : input.substr(0, newline)) {
      if (c < '0' || c > '9') continue;
      const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
      length = length > (kMax - digit) / 10 ? kMax : length * 10 + digit;
    }
    input.remove_prefix(newline + 1);
  }
  const RangeDecision d = corral::http::EvaluateRange(input, length);
  const std::string what = std::to_string(length) + " " + std::string(input);
  switch (d.kind) {
    case RangeDecision::Kind::kPartial:
      FUZZ_CHECK(d.length > 0, what);
      FUZZ_CHECK(d.first < length, what);
      FUZZ_CHECK(d.length <= length - d.first, what);
      break;
    case RangeDecision::Kind::kUnsatisfiable:
      break;
    case RangeDecision::Kind::kIgnore:
      FUZZ_CHECK(d.first == 0 && d.length == 0, what);
      break;
  }
  // An empty representation has no byte to send: never partial.
  if (length == 0) FUZZ_CHECK(d.kind != RangeDecision::Kind::kPartial, what);
  // Several ranges are ignored (the whole representation is sent).
  if (input.find(',') != std::string_view::npos) {
    FUZZ_CHECK(d.kind == RangeDecision::Kind::kIgnore, what);
  }
  return 0;
}
