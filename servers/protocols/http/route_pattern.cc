#include "servers/protocols/http/route_pattern.h"

#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IsName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsNameStart(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

absl::Status Invalid(std::string_view segment, std::string_view reason) {
  return absl::InvalidArgumentError(StrCat("segment \"", segment, "\": ", reason));
}

// Parses one segment; `last` says whether it ends the pattern.
absl::StatusOr<PatternSegment> ParseSegment(std::string_view text, bool last) {
  PatternSegment segment;
  if (!text.empty() && text.front() == '{') {
    if (text.back() != '}') return Invalid(text, "a parameter is a whole segment, \"{name}\"");
    std::string_view name = text.substr(1, text.size() - 2);
    if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
      if (!last) return Invalid(text, "\"{name...}\" must be the last segment");
      segment.kind = PatternSegment::Kind::kRest;
      name.remove_suffix(3);
    } else {
      segment.kind = PatternSegment::Kind::kParam;
    }
    if (!IsName(name)) return Invalid(text, "a parameter name is [A-Za-z_][A-Za-z0-9_]*");
    segment.text = std::string(name);
    return segment;
  }
  if (text.empty() && !last) return Invalid(text, "empty segment (\"//\"): paths never have one");
  if (text == "." || text == "..") return Invalid(text, "dot segments never reach a route");
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (c == '{' || c == '}') {
      return Invalid(text, "a parameter is a whole segment, \"{name}\"");
    }
    if (c == '%') return Invalid(text, "'%': literals match the decoded path, write the character");
    if (byte < 0x20 || byte == 0x7f) return Invalid(text, "control character");
  }
  segment.text = std::string(text);
  return segment;
}

}  // namespace

std::vector<std::string> RoutePattern::ParamNames() const {
  std::vector<std::string> names;
  for (const PatternSegment& segment : segments) {
    if (segment.kind != PatternSegment::Kind::kLiteral) names.push_back(segment.text);
  }
  return names;
}

absl::StatusOr<RoutePattern> ParseRoutePattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    return absl::InvalidArgumentError("a pattern starts with '/'");
  }
  RoutePattern parsed;
  std::string_view rest = pattern.substr(1);
  for (bool last = false; !last;) {
    const std::size_t slash = rest.find('/');
    last = slash == std::string_view::npos;
    absl::StatusOr<PatternSegment> segment = ParseSegment(rest.substr(0, slash), last);
    if (!segment.ok()) return segment.status();
    if (segment->kind != PatternSegment::Kind::kLiteral) {
      for (const std::string& name : parsed.ParamNames()) {
        if (name == segment->text) return Invalid(rest.substr(0, slash), "parameter named twice");
      }
      if (parsed.ParamNames().size() == RoutePattern::kMaxParams) {
        return Invalid(rest.substr(0, slash), "more than 16 parameters");
      }
    }
    parsed.segments.push_back(*std::move(segment));
    if (!last) rest.remove_prefix(slash + 1);
  }
  return parsed;
}

}  // namespace corral::http
