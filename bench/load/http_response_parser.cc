#include "bench/load/http_response_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace corral::load {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Fills `head` from the status line and headers (without the blank line); false when they are
// not a response with a Content-Length.
bool ParseHead(std::string_view text, HttpResponseHead* head) {
  size_t eol = text.find("\r\n");
  std::string_view status_line = text.substr(0, eol);
  // "HTTP/1.x NNN reason"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return false;
  }
  std::string_view code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, head->status).ptr != code.data() + 3) {
    return false;
  }
  head->close = status_line.substr(0, 8) == "HTTP/1.0";  // 1.0 closes unless told otherwise
  bool framed = false;
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 2);
    eol = text.find("\r\n");
    std::string_view line = text.substr(0, eol);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Length")) {
      auto [end, error] =
          std::from_chars(value.data(), value.data() + value.size(), head->body_length);
      if (error != std::errc() || end != value.data() + value.size()) return false;
      framed = true;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return false;
    } else if (EqualsIgnoreCase(name, "Connection")) {
      if (EqualsIgnoreCase(value, "close")) head->close = true;
      if (EqualsIgnoreCase(value, "keep-alive")) head->close = false;
    }
  }
  return framed;
}

}  // namespace

HttpResponseParser::Result HttpResponseParser::Next() {
  size_t end_of_head = buffer_.find("\r\n\r\n");
  if (end_of_head == std::string::npos) {
    // A head longer than any real server sends means the stream is not HTTP.
    return buffer_.size() > 64 * 1024 ? Result::kMalformed : Result::kNeedMore;
  }
  HttpResponseHead head;
  if (!ParseHead(std::string_view(buffer_).substr(0, end_of_head), &head)) {
    return Result::kMalformed;
  }
  size_t total = end_of_head + 4 + head.body_length;
  if (buffer_.size() < total) return Result::kNeedMore;
  buffer_.erase(0, total);
  head_ = head;
  return Result::kResponse;
}

}  // namespace corral::load
