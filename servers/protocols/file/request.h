// Request lines, parsed by the server and formatted by the client (one piece of code for both
// ends). Grammar, one line ending in LF (a CR before the LF is ignored), fields separated by one
// or more spaces, the command word case-insensitive, PATH escaped as in name_escape.h:
//   LIST [DIR]
//   GET PATH
//   PUT PATH SIZE
//   QUIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace corral::protocols::file {

// Longest request line the server reads, LF included. Longer lines get 414 and the connection
// is closed (the rest of the line cannot be trusted to be a request).
inline constexpr size_t kMaxRequestLine = 4096;

struct Request {
  enum class Verb { kList, kGet, kPut, kQuit };
  Verb verb = Verb::kQuit;
  std::string path;   // unescaped but not validated; empty for QUIT and a bare LIST
  uint64_t size = 0;  // PUT: the exact number of body bytes
};

// INVALID_ARGUMENT, with a message naming what is wrong, for an empty line, an unknown command,
// a wrong number of fields, a bad escape or a size that is not a decimal number.
absl::StatusOr<Request> ParseRequest(std::string_view line);

// The request as the client sends it, LF included.
std::string FormatRequest(const Request& request);

}  // namespace corral::protocols::file
