#include "agent/dashboard/http_message.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corral::agent::dashboard {
namespace {

// Everything the dashboard needs comes from the agent itself: no inline script, no frame.
constexpr absl::string_view kSecurityHeaders =
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "Cache-Control: no-store\r\n";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string& HttpRequest::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  auto it = headers.find(lower_name);
  return it == headers.end() ? kEmpty : it->second;
}

std::optional<std::string> HttpRequest::Cookie(absl::string_view name) const {
  for (absl::string_view part : absl::StrSplit(Header("cookie"), ';')) {
    part = absl::StripAsciiWhitespace(part);
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first == name) return std::string(kv.second);
  }
  return std::nullopt;
}

std::optional<size_t> HeadEnd(absl::string_view data) {
  size_t at = data.find("\r\n\r\n");
  if (at == absl::string_view::npos) return std::nullopt;
  return at + 4;
}

std::optional<std::string> UrlDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(absl::string_view text) {
  std::map<std::string, std::string> out;
  for (absl::string_view pair : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    std::optional<std::string> key = UrlDecode(kv.first);
    std::optional<std::string> value = UrlDecode(kv.second);
    if (key && value) out[*key] = *value;
  }
  return out;
}

absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty()) return absl::InvalidArgumentError("parse request: empty");
  std::vector<absl::string_view> first = absl::StrSplit(lines[0], ' ');
  if (first.size() != 3 || !absl::StartsWith(first[2], "HTTP/1.") || first[1].empty() ||
      first[1][0] != '/') {
    return absl::InvalidArgumentError("parse request: bad request line");
  }
  HttpRequest request;
  request.method = std::string(first[0]);
  std::pair<absl::string_view, absl::string_view> target =
      absl::StrSplit(first[1], absl::MaxSplits('?', 1));
  std::optional<std::string> path = UrlDecode(target.first);
  if (!path) return absl::InvalidArgumentError("parse request: bad escape in the path");
  request.path = *std::move(path);
  request.query = ParseForm(target.second);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError("parse request: header line without a name");
    }
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    request.headers[name] = std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  return request;
}

absl::StatusOr<size_t> ContentLength(const HttpRequest& request) {
  const std::string& text = request.Header("content-length");
  if (text.empty()) return 0;
  size_t length = 0;
  if (!absl::SimpleAtoi(text, &length)) {
    return absl::InvalidArgumentError("parse request: Content-Length is not a number");
  }
  if (length > kMaxBodyBytes) {
    return absl::OutOfRangeError(absl::StrCat("parse request: a body of ", length,
                                              " bytes is over the limit of ", kMaxBodyBytes));
  }
  return length;
}

std::string HttpResponse(absl::string_view status, absl::string_view content_type,
                         absl::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                                 "\r\nContent-Length: ", body.size(), "\r\n", kSecurityHeaders);
  for (const auto& [name, value] : headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  absl::StrAppend(&out, "Connection: close\r\n\r\n", body);
  return out;
}

std::string EventStreamHead() {
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n", kSecurityHeaders,
                      "Connection: close\r\n\r\n");
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out.push_back(c);  // UTF-8 passes through; '<' is harmless in JSON fetched by script
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace corral::agent::dashboard
