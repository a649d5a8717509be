#pragma once

#include <cstdint>
#include <string_view>

namespace corral::http {

// The outcome of a Range header against a representation of known size (RFC 9110 14.1-14.2).
struct RangeDecision {
  enum class Kind : unsigned char {
    kIgnore,         // serve the whole representation with 200
    kPartial,        // serve [first, first + length) with 206
    kUnsatisfiable,  // answer 416 with "Content-Range: bytes */size"
  };
  Kind kind = Kind::kIgnore;
  std::uint64_t first = 0;   // byte offset, kPartial only
  std::uint64_t length = 0;  // bytes, kPartial only; never 0
};

// Evaluates a Range field value for a representation of `size` bytes. Only a single range of
// the "bytes" unit (case-insensitive) is honoured:
//   "bytes=a-b"  -> [a, min(b, size-1)], unsatisfiable if a >= size
//   "bytes=a-"   -> [a, size-1],         unsatisfiable if a >= size
//   "bytes=-n"   -> the last min(n, size) bytes, unsatisfiable if n == 0 or size == 0
// Decisions made where the RFC leaves a choice:
//  - several ranges ("bytes=0-1,5-6") are ignored and the whole representation is sent: a
//    multipart/byteranges body costs more code than the rare client needing it is worth,
//    and RFC 9110 14.2 lets a server ignore Range;
//  - a syntactically invalid value (b < a, other units, junk) is ignored, as the RFC requires;
//  - numbers too large for 64 bits saturate rather than fail, so "bytes=99999999999999999999-"
//    is unsatisfiable and "bytes=0-99999999999999999999" is the whole file from 0.
RangeDecision EvaluateRange(std::string_view value, std::uint64_t size);

}  // namespace corral::http
