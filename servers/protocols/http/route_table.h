#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "servers/protocols/http/method.h"
#include "servers/protocols/http/request.h"
#include "servers/protocols/http/response.h"
#include "servers/protocols/http/route_pattern.h"
#include "servers/protocols/http/route_request.h"

namespace corral::http {

// A user route's function: reads the request view, fills the response (which starts as 200,
// no headers, empty body). Runs on the connection's worker, concurrently with other
// connections' calls: whatever it shares must be thread-safe.
using RouteHandler = std::function<void(const RouteRequest& request, Response& response)>;

// RouteTable: the user's routes (a handler plugin's, or a test's), by method and pattern
// (route_pattern.h). HttpProtocol consults it after its built-in routes and before the static
// files (README.md, "User routes").
//
// Precedence, so that no two routes are ambiguous: the path is matched segment by segment from
// the left, and at each segment a literal beats "{name}", which beats "{name...}" (backtracking
// when the more specific branch finds no route). Among the routes on one pattern shape a method
// of its own beats "*", and GET also answers HEAD. Two routes conflict only when they have the
// same shape ("/u/{id}" and "/u/{name}" are one) and the same method, or both "*".
//
// Thread-safety: Add before serving; afterwards the table is immutable and Dispatch runs on any
// number of threads at once. Movable, not copyable.
class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  // Mounts `handler` on `method` ("GET", ..., case-sensitive, or "*" for any) and `pattern`.
  // InvalidArgument for an unknown method, a bad pattern, or a path the server answers itself
  // (/healthz, /echo, anything under /_corral/); AlreadyExists for a conflict. The message
  // says which route and why: `route GET /u/{x: segment "{x": ...`.
  absl::Status Add(std::string_view method, std::string_view pattern, RouteHandler handler);

  // Answers `request` if some route's pattern matches its path: the route's handler fills
  // `response` (already Reset), or 405 with Allow when routes match the path but none takes
  // the method. False, leaving `response` alone, when no pattern matches the path (the
  // caller serves files). Allocates nothing on its own for a route without parameters.
  bool Dispatch(const Request& request, Response& response) const;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  struct Route;
  struct Leaf;
  struct Node;
  template <typename Visit>
  static bool Walk(const Node& node, std::string_view rest, bool done, ParamValue* captures,
                   std::size_t depth, Visit& visit);

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
};

}  // namespace corral::http
