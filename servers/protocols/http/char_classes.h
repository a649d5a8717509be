#ifndef CORRAL_SERVERS_PROTOCOLS_HTTP_CHAR_CLASSES_H_
#define CORRAL_SERVERS_PROTOCOLS_HTTP_CHAR_CLASSES_H_

#include <string_view>

// Character classes from RFC 9110 section 5.6 and RFC 3986, as constexpr predicates so the
// parser's inner loops compile to table-free comparisons.
namespace corral::http {

// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
// "~" / DIGIT / ALPHA.
constexpr bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A byte allowed inside a field value: VCHAR, obs-text, SP or HTAB. Everything else (NUL, CR,
// LF and the other controls, DEL) is rejected; accepting bare CR or NUL is how request
// smuggling between a lenient and a strict parser starts.
constexpr bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// A byte allowed in a Host value (RFC 9112 3.2: uri-host [":" port]): the unreserved,
// sub-delims and pct-encoded characters of a reg-name, plus ':' and the brackets of an IP
// literal. Excludes '/', '?', '#', '@' and whitespace, which would smuggle a path or
// userinfo into what later code takes for a host name.
constexpr bool IsHostChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~%!$&'()*+,;=:[]").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

constexpr bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Returns the value of a hex digit, or -1.
constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Removes leading and trailing SP/HTAB (OWS).
constexpr std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace corral::http

#endif  // CORRAL_SERVERS_PROTOCOLS_HTTP_CHAR_CLASSES_H_
