#include "servers/protocols/http/route_request.h"

namespace corral::http {

std::optional<std::string_view> RouteRequest::Param(std::string_view name) const {
  for (std::size_t i = 0; i < param_count_; ++i) {
    if (names_[i] == name) return std::string_view(values_[i].data, values_[i].size);
  }
  return std::nullopt;
}

std::optional<std::string_view> RouteRequest::QueryParam(std::string_view name) const {
  if (!query_params_) query_params_.emplace().Parse(request_.query);
  return query_params_->Find(name);
}

}  // namespace corral::http
