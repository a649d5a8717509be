// Reply lines, written by the server and parsed by the client (one piece of code for both
// ends, so they cannot drift apart). Three shapes, each one line ending in LF:
//   OK [TEXT]              success; TEXT depends on the command (a size, a count, "bye")
//   CONTINUE               PUT accepted: send the body now
//   ERR CODE MESSAGE       refusal; CODE is one of WireCode, MESSAGE is for people
//
// Inside the process, failures are absl::Status values; WireCodeOf / StatusFromReply translate
// at the wire, by this table (stable: clients and scripts match on the numbers):
//   400 INVALID_ARGUMENT    malformed request, unknown command, bad escape or size
//   403 PERMISSION_DENIED   outside the root, not permitted, not a regular file
//   404 NOT_FOUND           nothing at the path, or a component is not a directory
//   408 DEADLINE_EXCEEDED   the connection idled too long (sent just before closing)
//   409 ALREADY_EXISTS      upload target exists and overwrite is not allowed
//   413 OUT_OF_RANGE        upload larger than the server accepts
//   414 RESOURCE_EXHAUSTED  request line too long (sent just before closing)
//   500 anything else       I/O error on the server
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corral::protocols::file {

enum class WireCode : int {
  kBadRequest = 400,
  kForbidden = 403,
  kNotFound = 404,
  kIdleTimeout = 408,
  kExists = 409,
  kTooLarge = 413,
  kLineTooLong = 414,
  kServerError = 500,
};

// The wire code for a refusal (`status` is not OK).
WireCode WireCodeOf(const absl::Status& status);

struct Reply {
  enum class Kind { kOk, kContinue, kError };
  Kind kind = Kind::kOk;
  int code = 0;      // kError only: the number as sent (may be one this build does not know)
  std::string text;  // OK's text or ERR's message; empty when absent
};

// INVALID_ARGUMENT when the line is none of the three shapes.
absl::StatusOr<Reply> ParseReply(std::string_view line);

// The whole line, LF included.
std::string OkLine(std::string_view text);
std::string ContinueLine();
// "ERR <code> <message>\n"; control characters in the message become '?', so that a message
// can never break the framing, whatever text an OS error contained.
std::string ErrorLine(const absl::Status& status);

// The absl::Status an ERR reply stands for (the inverse of WireCodeOf; unknown 4xx codes map to
// INVALID_ARGUMENT, anything else to INTERNAL). The message is the server's.
absl::Status StatusFromReply(const Reply& reply);

}  // namespace corral::protocols::file
