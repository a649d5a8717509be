#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "servers/net/min_rate_deadline.h"
#include "servers/protocols/http/access_log.h"
#include "servers/protocols/http/idle_connections.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/route_table.h"
#include "servers/protocols/http/router.h"
#include "servers/protocols/stream_protocol.h"
#include "spec/spec_defaults.h"

namespace corral::http {

// Returns a JSON object describing the server's live counters (the scoreboard's view).
// Called on the serving thread for every GET of /_corral/stats; must be thread-safe.
using StatsProvider = std::function<std::string()>;

struct HttpOptions {
  // The served directory (corral-server --root). Required.
  std::string root;
  // Bounds each read of a body and each write to a peer that stopped reading; a connection
  // with no request in progress that sends nothing for this long is closed quietly (sooner
  // when header_timeout is shorter, as it is by default).
  std::chrono::milliseconds idle_timeout{spec::kDefaultIdleTimeoutMs};
  // How long a request's head may take to arrive, counted from the accept (the first request)
  // or from the end of the previous response (the next ones on a keep-alive connection);
  // empty lines before a request do not restart it. Slower -> 408 and close (a quiet close
  // if nothing of a request arrived), so a slow client (slowloris) can hold a worker neither
  // by dribbling header bytes nor by staying silent. Zero or negative derives it:
  // min(10 s, idle_timeout).
  std::chrono::milliseconds header_timeout{0};
  // The pace a request body must keep (min_rate_deadline.h); slower -> 408 and close.
  net::BodyRate body_rate{std::chrono::milliseconds(spec::kDefaultBodyGraceMs),
                          spec::kDefaultBodyMinRate};
  // How long a small file held in memory is served before its path is stated again: a change
  // to it shows within this long (file_cache.h). Zero stats on every request.
  std::chrono::milliseconds file_cache_valid{spec::kDefaultFileCacheValidMs};
  ParserLimits limits;
  // Serves GET /_corral/stats when set. Without one the route does not exist: counters this
  // handler kept in its own memory would be per process under the fork model (each child
  // seeing only itself), so only the scoreboard can answer truthfully.
  StatsProvider stats_provider;
  // The user's routes (a handler plugin's add_routes), tried after the built-in routes and
  // before the static files; null or empty serves files only. Shared by every worker and
  // never changed once the protocol is created.
  std::shared_ptr<const RouteTable> routes;
  // One line per answered request (access_log.h) when set; corral-server sets it unless the
  // spec's access_log is false. Shared by every worker.
  std::shared_ptr<const AccessLog> access_log;
};

// HttpProtocol: Corral's HTTP/1.1 server (RFC 9110/9112) as a StreamProtocol, written once
// for every concurrency model. Per connection it reads into a reused 16 KiB buffer, parses
// (request_parser.h), dispatches through a Router, and writes each response as one writev
// (head and in-memory body, or head and a small file's bytes) or a writev of the head and a
// sendfile of the file; see http_connection.h for the connection's rules.
//
// Routes: built in are GET /healthz ("ok\n"), POST and PUT /echo (the request body back, for
// conformance tools) and, with a stats provider, GET /_corral/stats. They win over the user's
// routes (HttpOptions::routes, route_table.h), which the route table enforces by refusing
// their paths: a plugin cannot make /healthz lie about the process, nor hide the scoreboard.
// Every other path is a user route if one matches, else a static file under the root
// (file_handler.h).
//
// Thread-safety: configure (Route) before the first Serve; afterwards the object is immutable
// and Serve() runs concurrently on any number of threads, greenlets or forked children.
class HttpProtocol final : public protocols::StreamProtocol {
 public:
  // Opens the root and registers the built-in routes. NOT_FOUND / FAILED_PRECONDITION naming
  // the root when it cannot be served; INVALID_ARGUMENT for an empty root or a zero idle
  // timeout.
  static absl::StatusOr<std::unique_ptr<HttpProtocol>> Create(HttpOptions options);

  // Adds a route (router.h); taken routes are ALREADY_EXISTS. Only before serving.
  absl::Status Route(Method method, std::string_view path, Handler handler) {
    return router_.Add(method, path, std::move(handler));
  }

  // Serves one connection until the peer closes it, it idles past the idle timeout, a
  // response asks for close, or an I/O error (a drain's cut is one: net/stream.h).
  void Serve(net::Stream& stream) const override;

  // Yes: an HTTP client always speaks first.
  bool AcceptsOnFirstBytes() const override { return true; }

  // Closes every connection after its next response, which says Connection: close, and those
  // still waiting for a next request IdleConnections::kSweepAfter from now (idle_connections.h).
  void BeginDrain() const override { idle_.BeginDrain(); }

  // The options in effect, header_timeout resolved.
  const HttpOptions& options() const { return options_; }

 private:
  explicit HttpProtocol(HttpOptions options) : options_(std::move(options)) {}

  HttpOptions options_;
  Router router_;
  // Shared by every connection's thread or greenlet; changes only by their waits and a drain.
  mutable IdleConnections idle_;
};

}  // namespace corral::http
