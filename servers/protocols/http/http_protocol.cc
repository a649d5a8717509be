#include "servers/protocols/http/http_protocol.h"

#include <algorithm>
#include <utility>

#include "servers/protocols/http/builtin_routes.h"
#include "servers/protocols/http/file_handler.h"
#include "servers/protocols/http/file_resolver.h"
#include "servers/protocols/http/http_connection.h"

namespace corral::http {

absl::StatusOr<std::unique_ptr<HttpProtocol>> HttpProtocol::Create(HttpOptions options) {
  if (options.root.empty()) {
    return absl::InvalidArgumentError("http protocol: --root is required (the served directory)");
  }
  if (options.idle_timeout.count() <= 0) {
    return absl::InvalidArgumentError("http protocol: the idle timeout must be positive");
  }
  if (options.header_timeout.count() <= 0) {
    // A spec always has it filled in (spec::DefaultHeaderTimeoutMs); this serves direct callers.
    options.header_timeout =
        std::min(std::chrono::milliseconds(spec::kDefaultHeaderTimeoutCapMs), options.idle_timeout);
  }
  absl::StatusOr<FileResolver> resolver = FileResolver::Create(options.root);
  if (!resolver.ok()) return resolver.status();
  std::unique_ptr<HttpProtocol> protocol(new HttpProtocol(std::move(options)));
  absl::Status routes = AddBuiltinRoutes(protocol->options_.stats_provider, &protocol->router_);
  if (!routes.ok()) return routes;
  FileCache::Options cache_options;
  cache_options.revalidate_after = protocol->options_.file_cache_valid;
  Handler files = MakeFileHandler(*std::move(resolver), std::move(cache_options));
  if (protocol->options_.routes && !protocol->options_.routes->empty()) {
    // The user's routes sit in the fallback: after the built-in routes, before the files.
    files = [routes = protocol->options_.routes, files = std::move(files)](const Request& request,
                                                                           Response& response) {
      if (!routes->Dispatch(request, response)) files(request, response);
    };
  }
  protocol->router_.SetFallback(std::move(files));
  return protocol;
}

void HttpProtocol::Serve(net::Stream& stream) const {
  HttpConnection connection(router_, options_, idle_, stream);
  connection.Run();
}

}  // namespace corral::http
