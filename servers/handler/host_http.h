// The HTTP part of the host function table (corral/handler.h, "HTTP routes"): route_add over
// an http::RouteTable, request_* over an http::RouteRequest, response_* over an http::Response.
// The rest of the table is filled by the other parts (host_table.cc).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "corral/handler.h"
#include "servers/protocols/http/route_table.h"

// The object a plugin's add_routes receives (opaque in C): the table its routes go into, and
// the first route_add the host refused, so the server can fail with it even if the plugin
// ignored the INVALID. Lives on the stack of CollectRoutes, only during add_routes.
struct corral_routes {
  corral::http::RouteTable table;
  std::string first_error;
};

namespace corral::handler {

// Sets exactly the HTTP entries of `host` (route_add ... response_body). Each may be called
// from any worker at once; the request and response ones only inside a route's call, on the
// objects it was given.
//
// How a route's call is bridged: the function gets the RouteRequest as its request and a
// wrapper of the connection's Response. A status outside 200-599, or a header the response
// refuses (not a token, a control byte in the value, or one the server writes itself:
// Content-Length, Date, Connection, Transfer-Encoding), turns the answer into a 500 once the
// function returns, and is logged with the route's method and pattern: a response the host
// cannot send as asked is not sent half-right.
void FillHttp(corral_host* host);

// Runs a plugin's add_routes(state, ...) and returns the routes it mounted, shared and
// immutable from then on (HttpOptions::routes). FAILED_PRECONDITION "add routes of handler
// NAME: REASON" when add_routes returns an error or any route_add was refused (its reason:
// `route GET /a/{b: segment "{b": ...`). Call once, before any worker starts.
absl::StatusOr<std::shared_ptr<const http::RouteTable>> CollectRoutes(
    corral_status (*add_routes)(void* state, corral_routes* routes), void* state,
    std::string_view handler_name);

}  // namespace corral::handler
