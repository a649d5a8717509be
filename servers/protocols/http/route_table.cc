#include "servers/protocols/http/route_table.h"

#include <utility>
#include <vector>

#include "servers/protocols/http/builtin_routes.h"
#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

// Transparent, so Walk looks a segment (a std::string_view) up without building a string.
struct SegmentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>()(text);
  }
};
struct SegmentEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

std::size_t Index(Method method) { return static_cast<std::size_t>(method); }

// Why the server keeps `pattern` for itself, or "" when it does not. The built-in routes win
// over user routes (README.md, "User routes"), so a user route on their paths could never be
// reached, or would turn GET /echo into a 405: refused instead of silently shadowed.
std::string_view ReservedReason(const RoutePattern& pattern) {
  const PatternSegment& first = pattern.segments.front();
  if (first.kind == PatternSegment::Kind::kLiteral && first.text == "_corral") {
    return "paths under /_corral/ belong to the server";
  }
  if (pattern.segments.size() != 1 || first.kind != PatternSegment::Kind::kLiteral) return "";
  if ("/" + first.text == kHealthPath) return "the server answers /healthz itself";
  if ("/" + first.text == kEchoPath) return "the server answers /echo itself";
  return "";
}

}  // namespace

struct RouteTable::Route {
  RouteHandler handler;
  std::vector<std::string> param_names;  // in segment order, as the captures come
  std::string method;                    // as given, "*" included, for messages
  std::string pattern;
};

// The routes of one pattern shape, by method.
struct RouteTable::Leaf {
  std::array<std::unique_ptr<Route>, kMethodCount> by_method;
  std::unique_ptr<Route> any;  // "*"

  const Route* Find(Method method) const {
    if (const Route* route = by_method[Index(method)].get()) return route;
    if (method == Method::kHead && by_method[Index(Method::kGet)]) {
      return by_method[Index(Method::kGet)].get();
    }
    return any.get();
  }
  void AddAllowed(std::array<bool, kMethodCount>* allowed) const {
    for (std::size_t i = 0; i < kMethodCount; ++i) (*allowed)[i] |= by_method[i] != nullptr;
    if (by_method[Index(Method::kGet)]) (*allowed)[Index(Method::kHead)] = true;
  }
};

struct RouteTable::Node {
  absl::flat_hash_map<std::string, std::unique_ptr<Node>, SegmentHash, SegmentEq> literals;
  std::unique_ptr<Node> param;  // "{name}"
  std::unique_ptr<Leaf> rest;   // "{name...}"
  std::unique_ptr<Leaf> leaf;   // routes whose pattern ends here
};

RouteTable::RouteTable() : root_(std::make_unique<Node>()) {}
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

absl::Status RouteTable::Add(std::string_view method, std::string_view pattern,
                             RouteHandler handler) {
  auto refuse = [&](absl::StatusCode code, std::string_view reason) {
    return absl::Status(code, StrCat("route ", method, " ", pattern, ": ", reason));
  };
  std::optional<Method> parsed_method;
  if (method != "*") {
    parsed_method = ParseMethod(method);
    if (!parsed_method) {
      return refuse(absl::StatusCode::kInvalidArgument,
                    "unknown method (GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH or *)");
    }
    if (*parsed_method == Method::kConnect) {
      return refuse(absl::StatusCode::kInvalidArgument, "a CONNECT request has no path");
    }
  }
  if (!handler) return refuse(absl::StatusCode::kInvalidArgument, "no function");
  absl::StatusOr<RoutePattern> parsed = ParseRoutePattern(pattern);
  if (!parsed.ok()) {
    return refuse(absl::StatusCode::kInvalidArgument, std::string(parsed.status().message()));
  }
  if (std::string_view reserved = ReservedReason(*parsed); !reserved.empty()) {
    return refuse(absl::StatusCode::kInvalidArgument, reserved);
  }

  // Find the leaf of this shape; nodes created here are harmless if the route is refused.
  Node* node = root_.get();
  std::unique_ptr<Leaf>* leaf = nullptr;
  for (const PatternSegment& segment : parsed->segments) {
    switch (segment.kind) {
      case PatternSegment::Kind::kLiteral: {
        std::unique_ptr<Node>& child = node->literals[segment.text];
        if (!child) child = std::make_unique<Node>();
        node = child.get();
        break;
      }
      case PatternSegment::Kind::kParam:
        if (!node->param) node->param = std::make_unique<Node>();
        node = node->param.get();
        break;
      case PatternSegment::Kind::kRest:
        leaf = &node->rest;
        break;
    }
  }
  if (leaf == nullptr) leaf = &node->leaf;
  if (!*leaf) *leaf = std::make_unique<Leaf>();
  std::unique_ptr<Route>& slot =
      parsed_method ? (*leaf)->by_method[Index(*parsed_method)] : (*leaf)->any;
  if (slot) {
    return refuse(absl::StatusCode::kAlreadyExists,
                  StrCat("conflicts with route ", slot->method, " ", slot->pattern));
  }
  slot = std::make_unique<Route>(
      Route{std::move(handler), parsed->ParamNames(), std::string(method), std::string(pattern)});
  ++size_;
  return absl::OkStatus();
}

// Matches `rest` (the path after the '/' that ended the segments consumed so far; `done`
// once no segment is left) below `node`, most specific branch first, and calls
// visit(leaf, parameter count) for every leaf whose pattern matches the whole path until it
// returns true. captures[i].value is set for each parameter on the way down.
template <typename Visit>
bool RouteTable::Walk(const Node& node, std::string_view rest, bool done, ParamValue* captures,
                      std::size_t depth, Visit& visit) {
  if (done) return node.leaf && visit(*node.leaf, depth);
  const std::size_t slash = rest.find('/');
  const std::string_view segment = rest.substr(0, slash);
  const bool next_done = slash == std::string_view::npos;
  const std::string_view next = next_done ? std::string_view() : rest.substr(slash + 1);
  if (!node.literals.empty()) {
    auto it = node.literals.find(segment);
    if (it != node.literals.end() && Walk(*it->second, next, next_done, captures, depth, visit)) {
      return true;
    }
  }
  if (node.param && !segment.empty()) {
    captures[depth] = {segment.data(), segment.size()};
    if (Walk(*node.param, next, next_done, captures, depth + 1, visit)) return true;
  }
  if (node.rest) {
    captures[depth] = {rest.data(), rest.size()};
    if (visit(*node.rest, depth + 1)) return true;
  }
  return false;
}

bool RouteTable::Dispatch(const Request& request, Response& response) const {
  if (size_ == 0 || request.path.empty()) return false;
  ParamValue captures[RoutePattern::kMaxParams];  // uninitialised: Walk sets what it uses
  const Route* found = nullptr;
  std::size_t found_count = 0;
  bool path_matched = false;
  std::array<bool, kMethodCount> allowed{};
  auto visit = [&](const Leaf& leaf, std::size_t count) {
    path_matched = true;
    found = leaf.Find(request.method);
    if (found != nullptr) {
      found_count = count;
      return true;
    }
    leaf.AddAllowed(&allowed);
    return false;
  };
  Walk(*root_, request.path.substr(1), false, captures, 0, visit);
  if (found != nullptr) {
    RouteRequest view(request, found->param_names.data(), captures, found_count);
    found->handler(view, response);
    return true;
  }
  if (!path_matched) return false;
  std::string allow;
  for (std::size_t i = 0; i < kMethodCount; ++i) {
    if (allowed[i])
      StrAppend(&allow, allow.empty() ? "" : ", ", MethodName(static_cast<Method>(i)));
  }
  MakeMethodNotAllowedResponse(allow, &response);
  return true;
}

}  // namespace corral::http
