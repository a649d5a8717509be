#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "servers/protocols/http/query_params.h"
#include "servers/protocols/http/request.h"

namespace corral::http {

// The part of the decoded path a "{name}" or "{name...}" of the matched route took. Trivial, so
// the matcher's array of them costs nothing to declare on every request.
struct ParamValue {
  const char* data;
  std::size_t size;
};

// What a user route sees of a request: the parsed Request plus the matched route's path
// parameters and, on demand, the decoded query parameters.
//
// Lives on the stack of RouteTable::Dispatch for the duration of one route call; every view
// it returns is valid until that call returns. Used by the one worker serving the request
// (const methods may fill the query cache, so it is not shareable between threads).
class RouteRequest {
 public:
  // names[i] is the route's i-th parameter, values[i] its value; both arrays (count entries)
  // must outlive the RouteRequest.
  RouteRequest(const Request& request, const std::string* names, const ParamValue* values,
               std::size_t count)
      : request_(request), names_(names), values_(values), param_count_(count) {}

  RouteRequest(const RouteRequest&) = delete;
  RouteRequest& operator=(const RouteRequest&) = delete;

  const Request& request() const { return request_; }
  std::string_view method() const { return request_.method_token; }  // "GET"
  std::string_view path() const { return request_.path; }            // decoded, no query
  std::string_view query() const { return request_.query; }          // raw, without '?'
  // The whole body (dechunked), bounded by the parser's max_body_bytes.
  std::string_view body() const { return request_.body; }

  // The value of the route's parameter `name`; nullopt when the route has none so named.
  std::optional<std::string_view> Param(std::string_view name) const;
  // The first query parameter `name`, decoded (query_params.h). The first call decodes the
  // whole query (allocating); a route that never asks costs nothing.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  // The first header `name`, compared case-insensitively.
  std::optional<std::string_view> Header(std::string_view name) const {
    return request_.FindHeader(name);
  }

 private:
  const Request& request_;
  const std::string* names_;
  const ParamValue* values_;
  std::size_t param_count_;
  mutable std::optional<QueryParams> query_params_;
};

}  // namespace corral::http
