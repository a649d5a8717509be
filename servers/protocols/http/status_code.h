#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace corral::http {

// The HTTP status codes Corral's HTTP pieces produce, and the common ones a user route
// (route_table.h) may set; a route may set any other 200-599 too (its reason is "Unknown"). The
// value is the wire number, so static_cast<int>(code) is what goes on the status line.
enum class StatusCode : int {
  kContinue = 100,
  kOk = 200,
  kCreated = 201,
  kAccepted = 202,
  kNoContent = 204,
  kPartialContent = 206,
  kMovedPermanently = 301,
  kFound = 302,
  kSeeOther = 303,
  kNotModified = 304,
  kTemporaryRedirect = 307,
  kPermanentRedirect = 308,
  kBadRequest = 400,
  kUnauthorized = 401,
  kForbidden = 403,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kRequestTimeout = 408,
  kConflict = 409,
  kGone = 410,
  kLengthRequired = 411,
  kPreconditionFailed = 412,
  kContentTooLarge = 413,
  kUriTooLong = 414,
  kRangeNotSatisfiable = 416,
  kExpectationFailed = 417,
  kUnprocessableContent = 422,
  kTooManyRequests = 429,
  kRequestHeaderFieldsTooLarge = 431,
  kInternalServerError = 500,
  kNotImplemented = 501,
  kBadGateway = 502,
  kServiceUnavailable = 503,
  kGatewayTimeout = 504,
  kHttpVersionNotSupported = 505,
};

// The RFC 9110 reason phrase ("Not Found"); "Unknown" for a code not in the enum. Returns a
// view of a static string.
std::string_view ReasonPhrase(StatusCode code);

// Maps an absl::Status from the path and file helpers (request_target.h, file_resolver.h) to
// the status a client should see: InvalidArgument -> 400, NotFound -> 404,
// PermissionDenied -> 403, FailedPrecondition -> 403, anything else -> 500. OK maps to 200.
StatusCode HttpStatusOf(const absl::Status& status);

}  // namespace corral::http
