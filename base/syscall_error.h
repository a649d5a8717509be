// Turning a failed syscall into an absl::Status whose text names the action, the object and the
// reason, as in `bind 127.0.0.1:8080: address already in use`.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace corral::base {

// strerror(err) with a lower-case first letter, so it reads well after a colon.
std::string ErrnoText(int err);

// "<what>: <ErrnoText(err)>" with a status code chosen from the errno (EADDRINUSE and EACCES ->
// FAILED_PRECONDITION / PERMISSION_DENIED, ENOENT -> NOT_FOUND, EAGAIN -> UNAVAILABLE, ...).
absl::Status SyscallError(std::string_view what, int err);

}  // namespace corral::base
