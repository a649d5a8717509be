#include "servers/protocols/http/status_code.h"

namespace corral::http {

std::string_view ReasonPhrase(StatusCode code) {
  switch (code) {
    case StatusCode::kContinue:
      return "Continue";
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCreated:
      return "Created";
    case StatusCode::kAccepted:
      return "Accepted";
    case StatusCode::kNoContent:
      return "No Content";
    case StatusCode::kPartialContent:
      return "Partial Content";
    case StatusCode::kMovedPermanently:
      return "Moved Permanently";
    case StatusCode::kFound:
      return "Found";
    case StatusCode::kSeeOther:
      return "See Other";
    case StatusCode::kNotModified:
      return "Not Modified";
    case StatusCode::kTemporaryRedirect:
      return "Temporary Redirect";
    case StatusCode::kPermanentRedirect:
      return "Permanent Redirect";
    case StatusCode::kBadRequest:
      return "Bad Request";
    case StatusCode::kUnauthorized:
      return "Unauthorized";
    case StatusCode::kForbidden:
      return "Forbidden";
    case StatusCode::kNotFound:
      return "Not Found";
    case StatusCode::kMethodNotAllowed:
      return "Method Not Allowed";
    case StatusCode::kRequestTimeout:
      return "Request Timeout";
    case StatusCode::kConflict:
      return "Conflict";
    case StatusCode::kGone:
      return "Gone";
    case StatusCode::kLengthRequired:
      return "Length Required";
    case StatusCode::kPreconditionFailed:
      return "Precondition Failed";
    case StatusCode::kContentTooLarge:
      return "Content Too Large";
    case StatusCode::kUriTooLong:
      return "URI Too Long";
    case StatusCode::kRangeNotSatisfiable:
      return "Range Not Satisfiable";
    case StatusCode::kExpectationFailed:
      return "Expectation Failed";
    case StatusCode::kUnprocessableContent:
      return "Unprocessable Content";
    case StatusCode::kTooManyRequests:
      return "Too Many Requests";
    case StatusCode::kRequestHeaderFieldsTooLarge:
      return "Request Header Fields Too Large";
    case StatusCode::kInternalServerError:
      return "Internal Server Error";
    case StatusCode::kNotImplemented:
      return "Not Implemented";
    case StatusCode::kBadGateway:
      return "Bad Gateway";
    case StatusCode::kServiceUnavailable:
      return "Service Unavailable";
    case StatusCode::kGatewayTimeout:
      return "Gateway Timeout";
    case StatusCode::kHttpVersionNotSupported:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

StatusCode HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return StatusCode::kOk;
    case absl::StatusCode::kInvalidArgument:
      return StatusCode::kBadRequest;
    case absl::StatusCode::kNotFound:
      return StatusCode::kNotFound;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
      return StatusCode::kForbidden;
    default:
      return StatusCode::kInternalServerError;
  }
}

}  // namespace corral::http
