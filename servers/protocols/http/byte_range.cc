#include "servers/protocols/http/byte_range.h"

#include <limits>

#include "servers/protocols/http/char_classes.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Parses 1*DIGIT at the start of *text, saturating at kMax. Returns false if there is no
// digit.
bool ConsumeNumber(std::string_view* text, std::uint64_t* value) {
  std::size_t i = 0;
  std::uint64_t result = 0;
  while (i < text->size() && IsDigit((*text)[i])) {
    std::uint64_t digit = static_cast<std::uint64_t>((*text)[i] - '0');
    result = result > (kMax - digit) / 10 ? kMax : result * 10 + digit;
    ++i;
  }
  if (i == 0) return false;
  text->remove_prefix(i);
  *value = result;
  return true;
}

RangeDecision Partial(std::uint64_t first, std::uint64_t last) {
  return RangeDecision{RangeDecision::Kind::kPartial, first, last - first + 1};
}

}  // namespace

RangeDecision EvaluateRange(std::string_view value, std::uint64_t size) {
  constexpr RangeDecision kIgnore{};
  constexpr RangeDecision kUnsatisfiable{RangeDecision::Kind::kUnsatisfiable, 0, 0};
  value = TrimWhitespace(value);
  std::size_t equals = value.find('=');
  if (equals == std::string_view::npos) return kIgnore;
  if (!EqualsIgnoreCase(TrimWhitespace(value.substr(0, equals)), "bytes")) return kIgnore;
  std::string_view spec = TrimWhitespace(value.substr(equals + 1));
  if (spec.find(',') != std::string_view::npos) return kIgnore;

  if (!spec.empty() && spec[0] == '-') {
    spec.remove_prefix(1);
    std::uint64_t suffix = 0;
    if (!ConsumeNumber(&spec, &suffix) || !spec.empty()) return kIgnore;
    if (suffix == 0 || size == 0) return kUnsatisfiable;
    return Partial(suffix >= size ? 0 : size - suffix, size - 1);
  }
  std::uint64_t first = 0;
  if (!ConsumeNumber(&spec, &first) || spec.empty() || spec[0] != '-') return kIgnore;
  spec.remove_prefix(1);
  std::uint64_t last = kMax;
  if (!spec.empty() && (!ConsumeNumber(&spec, &last) || !spec.empty())) return kIgnore;
  if (last < first) return kIgnore;
  if (first >= size) return kUnsatisfiable;
  return Partial(first, last >= size ? size - 1 : last);
}

}  // namespace corral::http
