#include "servers/protocols/http/router.h"

#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

std::size_t Index(Method method) { return static_cast<std::size_t>(method); }

std::string AllowValue(const std::array<Handler, kMethodCount>& handlers) {
  std::string allow;
  for (std::size_t i = 0; i < kMethodCount; ++i) {
    Method method = static_cast<Method>(i);
    bool allowed = static_cast<bool>(handlers[i]) ||
                   (method == Method::kHead && handlers[Index(Method::kGet)]);
    if (allowed) StrAppend(&allow, allow.empty() ? "" : ", ", MethodName(method));
  }
  return allow;
}

}  // namespace

absl::Status Router::Add(Method method, std::string_view path, Handler handler) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        StrCat("add route ", MethodName(method), " ", path, ": path must start with /"));
  }
  if (!handler) {
    return absl::InvalidArgumentError(
        StrCat("add route ", MethodName(method), " ", path, ": empty handler"));
  }
  Route& route = routes_[std::string(path)];
  Handler& slot = route.handlers[Index(method)];
  if (slot) {
    return absl::AlreadyExistsError(
        StrCat("add route ", MethodName(method), " ", path, ": already registered"));
  }
  slot = std::move(handler);
  route.allow = AllowValue(route.handlers);
  return absl::OkStatus();
}

void Router::Dispatch(const Request& request, Response& response) const {
  response.Reset();
  auto it = request.path.empty() ? routes_.end() : routes_.find(request.path);
  if (it == routes_.end()) {
    if (fallback_ && !request.path.empty()) {
      fallback_(request, response);
    } else {
      MakeErrorResponse(StatusCode::kNotFound, &response);
    }
    return;
  }
  const Route& route = it->second;
  const Handler* handler = &route.handlers[Index(request.method)];
  if (!*handler && request.method == Method::kHead) handler = &route.handlers[Index(Method::kGet)];
  if (!*handler) {
    MakeMethodNotAllowedResponse(route.allow, &response);
    return;
  }
  (*handler)(request, response);
}

}  // namespace corral::http
