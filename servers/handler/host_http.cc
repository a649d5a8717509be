#include "servers/handler/host_http.h"

#include <utility>

#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/text_util.h"
#include "spdlog/spdlog.h"

// The C types the host hands out are its own C++ objects: a corral_http_request* is the
// http::RouteRequest of the call, a corral_http_response* the ResponseWriter below.
struct corral_http_response {
  corral::http::Response& response;
  std::string error;  // the first misuse, turned into a 500 once the route returns
};

namespace corral::handler {
namespace {

using http::RouteRequest;

const RouteRequest& Of(const corral_http_request* request) {
  return *reinterpret_cast<const RouteRequest*>(request);
}

corral_str Str(std::string_view text) { return corral_str{text.data(), text.size()}; }

// Present values are never {null, 0}, even when empty: handler.h's "data null" means absent.
corral_str Found(const std::optional<std::string_view>& value) {
  if (!value) return corral_str{nullptr, 0};
  return corral_str{value->data() != nullptr ? value->data() : "", value->size()};
}

// Calls one route's C function with the host's view of the request and response.
struct CRoute {
  corral_route_fn fn;
  void* arg;
  std::shared_ptr<const std::string> name;  // "GET /a/{b}", for the log

  void operator()(const RouteRequest& request, http::Response& response) const {
    corral_http_response writer{response, {}};
    fn(arg, reinterpret_cast<const corral_http_request*>(&request), &writer);
    if (!writer.error.empty()) {
      spdlog::error("route {}: {}; answered 500", *name, writer.error);
      http::MakeErrorResponse(http::StatusCode::kInternalServerError, &response);
    }
  }
};

corral_status RouteAdd(corral_routes* routes, const char* method, const char* pattern,
                       corral_route_fn fn, void* route_arg) {
  if (routes == nullptr) return CORRAL_INVALID;
  const std::string_view method_text = method != nullptr ? method : "(null)";
  const std::string_view pattern_text = pattern != nullptr ? pattern : "(null)";
  absl::Status status;
  if (method == nullptr || pattern == nullptr || fn == nullptr) {
    status = absl::InvalidArgumentError(
        http::StrCat("route ", method_text, " ", pattern_text, ": null method, pattern or fn"));
  } else {
    auto name = std::make_shared<const std::string>(http::StrCat(method_text, " ", pattern_text));
    status = routes->table.Add(method_text, pattern_text, CRoute{fn, route_arg, std::move(name)});
  }
  if (status.ok()) return CORRAL_OK;
  if (routes->first_error.empty()) routes->first_error = std::string(status.message());
  spdlog::error("{}", std::string(status.message()));
  return CORRAL_INVALID;
}

corral_str RequestMethod(const corral_http_request* request) { return Str(Of(request).method()); }
corral_str RequestPath(const corral_http_request* request) { return Str(Of(request).path()); }
corral_str RequestQuery(const corral_http_request* request) { return Str(Of(request).query()); }
corral_str RequestBody(const corral_http_request* request) { return Str(Of(request).body()); }

corral_str RequestParam(const corral_http_request* request, const char* name) {
  if (name == nullptr) return corral_str{nullptr, 0};
  return Found(Of(request).Param(name));
}
corral_str RequestQueryParam(const corral_http_request* request, const char* name) {
  if (name == nullptr) return corral_str{nullptr, 0};
  return Found(Of(request).QueryParam(name));
}
corral_str RequestHeader(const corral_http_request* request, const char* name) {
  if (name == nullptr) return corral_str{nullptr, 0};
  return Found(Of(request).Header(name));
}

void Misuse(corral_http_response* response, std::string error) {
  if (response->error.empty()) response->error = std::move(error);
}

void ResponseStatus(corral_http_response* response, int code) {
  if (response == nullptr) return;
  // 1xx would promise a final response that never comes; beyond 599 is no status at all.
  if (code < 200 || code > 599) {
    Misuse(response, http::StrCat("response_status ", code, ": not a final status (200-599)"));
    return;
  }
  response->response.SetStatus(static_cast<http::StatusCode>(code));
}

void ResponseHeader(corral_http_response* response, const char* name, const char* value) {
  if (response == nullptr) return;
  if (name == nullptr || value == nullptr) {
    Misuse(response, "response_header: null name or value");
    return;
  }
  // Content-Type is single-valued: a second setting (HttpResponse::Text after Json) replaces
  // the first rather than sending two that clients resolve differently.
  absl::Status status = http::EqualsIgnoreCase(name, "Content-Type")
                            ? response->response.SetHeader(name, value)
                            : response->response.AddHeader(name, value);
  if (!status.ok()) Misuse(response, "response_header: " + std::string(status.message()));
}

void ResponseBody(corral_http_response* response, const void* data, size_t len) {
  if (response == nullptr) return;
  if (data == nullptr && len != 0) {
    Misuse(response, "response_body: null data");
    return;
  }
  response->response.SetBody(std::string_view(static_cast<const char*>(data), data ? len : 0));
}

}  // namespace

void FillHttp(corral_host* host) {
  host->route_add = RouteAdd;
  host->request_method = RequestMethod;
  host->request_path = RequestPath;
  host->request_query = RequestQuery;
  host->request_param = RequestParam;
  host->request_query_param = RequestQueryParam;
  host->request_header = RequestHeader;
  host->request_body = RequestBody;
  host->response_status = ResponseStatus;
  host->response_header = ResponseHeader;
  host->response_body = ResponseBody;
}

absl::StatusOr<std::shared_ptr<const http::RouteTable>> CollectRoutes(
    corral_status (*add_routes)(void* state, corral_routes* routes), void* state,
    std::string_view handler_name) {
  auto fail = [&](std::string_view reason) {
    return absl::FailedPreconditionError(
        http::StrCat("add routes of handler ", handler_name, ": ", reason));
  };
  if (add_routes == nullptr) return fail("the handler has no add_routes");
  corral_routes routes;
  const corral_status status = add_routes(state, &routes);
  if (!routes.first_error.empty()) return fail(routes.first_error);
  if (status != CORRAL_OK) {
    return fail(http::StrCat("add_routes returned status ", static_cast<int>(status)));
  }
  return std::make_shared<const http::RouteTable>(std::move(routes.table));
}

}  // namespace corral::handler
