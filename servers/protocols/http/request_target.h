#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace corral::http {

// The four request-target forms of RFC 9112 section 3.2.
enum class TargetForm : unsigned char {
  kOrigin,     // "/path?query"
  kAbsolute,   // "http://host:port/path?query"
  kAuthority,  // "host:port", only meaningful for CONNECT
  kAsterisk,   // "*", only meaningful for OPTIONS
};

// The result of ParseTarget. Reusable: ParseTarget overwrites every field and keeps `path`'s
// capacity, so a long-lived instance decodes without allocating once warmed up.
struct ParsedTarget {
  TargetForm form = TargetForm::kOrigin;
  // Percent-decoded once, dot segments removed (RFC 3986 5.2.4) and runs of slashes merged,
  // always starting with '/' and never with "//". Empty for the authority and asterisk forms.
  std::string path;
  // The raw query (still percent-encoded), without the '?'; a view into the `target` passed
  // to ParseTarget, so it lives as long as that buffer.
  std::string_view query;
};

// Classifies `target` and, for the origin and absolute forms, splits the query off and
// normalises the path. For absolute-form the scheme and authority are dropped (the path of
// "http://h/x" is "/x"; of "http://h" it is "/").
//
// The decoding policy, chosen so that what a handler or the file resolver sees is the one
// and only meaning of the path:
//  - decode exactly once: "%252e" becomes the three characters "%2e", never ".";
//  - a '%' not followed by two hex digits is InvalidArgument;
//  - a decoded NUL or other control byte (< 0x20, 0x7f) is InvalidArgument: no file name
//    or route needs one, and they are how log and header injection start;
//  - an encoded slash ("%2F", "%2f") is InvalidArgument (so 400), the way Apache's default
//    AllowEncodedSlashes Off refuses it: a '/' inside one segment cannot name a file, and
//    silently turning it into a separator would let "..%2F" reach a path check in a form
//    that check did not see;
//  - dot segments are removed after decoding, so "%2e%2e" is "..", and a path cannot climb
//    above "/": "/../a" is "/a";
//  - empty segments are dropped ("/d///f" and "//d/f" are "/d/f", as nginx's merge_slashes
//    does): one file has one path, so a cache keyed by it cannot be filled with spellings,
//    and a path built from it cannot start with "//" (a network-path reference in a
//    Location header);
//  - a '#' (fragments are never sent to a server) is InvalidArgument.
// Returns InvalidArgument for an empty target or a malformed absolute-form.
absl::Status ParseTarget(std::string_view target, ParsedTarget* out);

// Percent-decodes `in` (which must start with '/') into *out under the rules above, without
// removing dot segments. Exposed for tests and for callers that decode other path strings.
absl::Status PercentDecodePath(std::string_view in, std::string* out);

// Removes "." and ".." segments from the absolute path *path in place (RFC 3986 5.2.4), and
// empty ones, merging runs of slashes (before the dots are applied: "/a//.." is "/").
// "/a/b/../c/./d" -> "/a/c/d", "/a/.." -> "/", "/a/b/." -> "/a/b/", "//a///b/" -> "/a/b/".
// *path must start with '/'.
void RemoveDotSegments(std::string* path);

// Appends `path`, a decoded path such as ParsedTarget::path, to *out percent-encoded for use
// in a URI (a Location header): every byte but the RFC 3986 pchars and '/' becomes %XX, so
// '%', '\', '?', '#', spaces, controls and non-ASCII bytes are all encoded.
void AppendPercentEncodedPath(std::string_view path, std::string* out);

}  // namespace corral::http
