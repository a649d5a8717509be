// Waiting on one descriptor until a deadline: the only kind of waiting corralctl's client does.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace corral::ctl::rpc {

// Waits until `fd` reports any of the poll(2) `events` (or an error or hang-up): true; false when
// `deadline` passes first (absl::InfiniteFuture(): never). EINTR is retried.
absl::StatusOr<bool> WaitForFd(int fd, short events, absl::Time deadline);

}  // namespace corral::ctl::rpc
