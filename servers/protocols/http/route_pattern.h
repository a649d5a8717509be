#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace corral::http {

// One segment of a route pattern (the text between two '/').
struct PatternSegment {
  enum class Kind : unsigned char {
    kLiteral,  // matches exactly this text of the decoded path ("" only as the last segment)
    kParam,    // "{name}": any one non-empty segment
    kRest,     // "{name...}": the rest of the path after the preceding '/', possibly empty
  };
  Kind kind = Kind::kLiteral;
  std::string text;  // the literal, or the parameter's name

  bool operator==(const PatternSegment&) const = default;
};

// A parsed route pattern such as "/users/{id}/files/{path...}".
struct RoutePattern {
  // At most this many parameters per pattern: a match keeps their values in a fixed array,
  // so matching never allocates.
  static constexpr std::size_t kMaxParams = 16;

  std::vector<PatternSegment> segments;  // never empty: "/" is one empty literal segment

  // The parameters' names in segment order.
  std::vector<std::string> ParamNames() const;
};

// Parses `pattern` under the syntax documented in README.md ("User routes"):
//  - it starts with '/'; segments are split at '/', and only the last may be empty ("/" and
//    "/docs/" end in an empty segment, so they match only "/" and "/docs/");
//  - a segment is a literal, "{name}" or, as the last segment only, "{name...}"; a name is
//    [A-Za-z_][A-Za-z0-9_]*, unique within the pattern;
//  - literals are compared with the decoded path (request_target.h), so they may not contain
//    '%' (write the decoded character), '{', '}', a control byte, or be "." or "..", which a
//    decoded path never contains.
// InvalidArgument naming the offending segment and the rule otherwise.
absl::StatusOr<RoutePattern> ParseRoutePattern(std::string_view pattern);

}  // namespace corral::http
