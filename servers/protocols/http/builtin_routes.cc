#include "servers/protocols/http/builtin_routes.h"

#include <optional>
#include <string_view>

namespace corral::http {
namespace {

void Health(const Request&, Response& response) {
  response.AddHeader("Content-Type", "text/plain").IgnoreError();  // a constant: cannot fail
  response.SetBody("ok\n");
}

void Echo(const Request& request, Response& response) {
  std::optional<std::string_view> type = request.FindHeader("Content-Type");
  // AddHeader refuses a value with control bytes; then the body goes back untyped-but-safe.
  if (!type || !response.AddHeader("Content-Type", *type).ok()) {
    response.AddHeader("Content-Type", "application/octet-stream").IgnoreError();
  }
  response.SetBody(request.body);
}

}  // namespace

absl::Status AddBuiltinRoutes(const std::function<std::string()>& stats, Router* router) {
  absl::Status status = router->Add(Method::kGet, kHealthPath, Health);
  if (status.ok()) status = router->Add(Method::kPost, kEchoPath, Echo);
  if (status.ok()) status = router->Add(Method::kPut, kEchoPath, Echo);
  if (status.ok() && stats) {
    status = router->Add(Method::kGet, kStatsPath, [stats](const Request&, Response& response) {
      response.AddHeader("Content-Type", "application/json").IgnoreError();
      response.AddHeader("Cache-Control", "no-store").IgnoreError();
      response.SetBody(stats());
    });
  }
  return status;
}

}  // namespace corral::http
