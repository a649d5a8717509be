// Hexadecimal digits, as the percent-encoding of URLs (RFC 3986 section 2.1) and the file
// protocol's escaped names write them.
#pragma once

namespace corral::base {

// Upper case, as RFC 3986 recommends for percent-encoding.
inline constexpr char kUpperHexDigits[] = "0123456789ABCDEF";

// The value of the hex digit `c` (either case), or -1.
constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace corral::base
