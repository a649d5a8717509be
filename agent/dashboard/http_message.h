// The HTTP/1.1 messages of the dashboard: a request parsed from what a browser sent (pure, so it
// is unit-tested on real samples), and the text of a response. Only what the dashboard uses:
// one request per connection, a body only with Content-Length, no chunked uploads.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::agent::dashboard {

// Bounds on what a client may send: a head and a body larger than these are refused (431, 413).
inline constexpr size_t kMaxHeadBytes = 8192;
inline constexpr size_t kMaxBodyBytes = 4096;

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // decoded, without the query
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated one keeps the last
  std::string body;

  // The header's value, or "" when absent.
  const std::string& Header(const std::string& lower_name) const;
  // The value of cookie `name` in the Cookie header, if present.
  std::optional<std::string> Cookie(absl::string_view name) const;
};

// Where the head ends in `data` (the index after "\r\n\r\n"), or nullopt while incomplete.
std::optional<size_t> HeadEnd(absl::string_view data);

// Parses a complete head (up to and including the blank line). The body is not read here: the
// caller reads Content-Length bytes (ContentLength) after the head. InvalidArgument for a
// malformed head.
absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head);

// The request's Content-Length: 0 when absent; InvalidArgument when not a number, OutOfRange
// when above kMaxBodyBytes.
absl::StatusOr<size_t> ContentLength(const HttpRequest& request);

// Decodes "a=1&b=%20x" (application/x-www-form-urlencoded, also a query string).
std::map<std::string, std::string> ParseForm(absl::string_view text);

// Percent-decoding with '+' as a space; nullopt for a bad escape.
std::optional<std::string> UrlDecode(absl::string_view text);

// A whole response with Content-Length, Connection: close and the security headers every page
// gets (a policy that lets the page load nothing from anywhere but the agent).
std::string HttpResponse(absl::string_view status, absl::string_view content_type,
                         absl::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

// The head of a server-sent event stream (the body follows as events, for as long as it lasts).
std::string EventStreamHead();

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace corral::agent::dashboard
