#pragma once

#include <string_view>

// Character classes from RFC 9110 section 5.6 and RFC 3986, as constexpr predicates so the
// parser's inner loops compile to comparisons or one load from a table built at compile time.
namespace corral::http {
namespace char_classes_internal {

// Membership of each byte value in ASCII letters, digits and `extra`: one load per byte in
// the parser's loops, where searching the punctuation list cost a memchr call per '-'.
struct CharTable {
  bool member[256];
};

constexpr CharTable AlnumAnd(std::string_view extra) {
  CharTable table{};
  for (int c = 0; c < 256; ++c) {
    table.member[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (char c : extra) table.member[static_cast<unsigned char>(c)] = true;
  return table;
}

inline constexpr CharTable kTokenChars = AlnumAnd("!#$%&'*+-.^_`|~");
inline constexpr CharTable kHostChars = AlnumAnd("-._~%!$&'()*+,;=:[]");

}  // namespace char_classes_internal

// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
// "~" / DIGIT / ALPHA.
constexpr bool IsTokenChar(unsigned char c) { return char_classes_internal::kTokenChars.member[c]; }

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
constexpr bool IsHostChar(unsigned char c) { return char_classes_internal::kHostChars.member[c]; }

constexpr bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Removes leading and trailing SP/HTAB (OWS).
constexpr std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace corral::http
