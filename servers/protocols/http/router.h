#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "servers/protocols/http/method.h"
#include "servers/protocols/http/request.h"
#include "servers/protocols/http/response.h"

namespace corral::http {

// A request handler: reads the request, fills the response (status, headers, body). It never
// touches the socket; the connection layer serialises and sends the Response afterwards, so
// handlers run unchanged under every concurrency model. The Request's views are valid only
// during the call. Handlers may run concurrently on several connections and must be
// thread-safe in whatever state they share.
using Handler = std::function<void(const Request& request, Response& response)>;

// Dispatches requests by method and exact decoded path (Request::path; no patterns, no
// prefixes, the query plays no part).
//
// Configure it completely before serving, then share it: Add and SetFallback are not
// thread-safe, Dispatch is const and may run on any number of threads at once.
class Router {
 public:
  // Registers `handler` for `method` on `path`. AlreadyExists when that pair is taken,
  // InvalidArgument when `path` does not start with '/' or the handler is empty.
  absl::Status Add(Method method, std::string_view path, Handler handler);

  // The handler for paths without any route (static files, typically). Without one, such
  // requests get 404.
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }

  // Runs the handler for request.method on request.path, after response.Reset().
  //  - A path with routes, but none for this method: 405 with "Allow" listing the methods
  //    that exist there. A GET route also answers HEAD (RFC 9110 9.3.2); the handler runs
  //    and the connection omits the body (ResponseHasBody).
  //  - A path without routes: the fallback, or 404.
  //  - A request without a path (CONNECT host:port, OPTIONS *): 404; Corral is no proxy.
  void Dispatch(const Request& request, Response& response) const;

 private:
  struct Route {
    std::array<Handler, kMethodCount> handlers;
    std::string allow;  // the Allow value, kept in sync by Add
  };

  // Transparent, so Dispatch looks a std::string_view up without building a std::string
  // (absl's own string hasher takes Debian's absl::string_view, not std::string_view).
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view path) const {
      return std::hash<std::string_view>()(path);
    }
  };
  struct PathEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };

  absl::flat_hash_map<std::string, Route, PathHash, PathEq> routes_;
  Handler fallback_;
};

}  // namespace corral::http
