// How every Stream and DatagramSender implementation turns the outcome of one call into
// scoreboard counts, so the polling and the coroutine streams count alike. Each is a no-op when
// the server keeps no stats (`slot` is null).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "servers/stats/slot_writer.h"

namespace corral::net {

inline void CountFailure(stats::SlotWriter* slot, const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) {
    slot->OnError(stats::ErrorKind::kTimeout);
  } else if (absl::IsUnavailable(status)) {  // reset, broken pipe: see base::SyscallError
    slot->OnError(stats::ErrorKind::kReset);
  }
}

inline void CountRead(stats::SlotWriter* slot, const absl::StatusOr<size_t>& result) {
  if (slot == nullptr) return;
  if (result.ok()) {
    slot->AddBytesIn(*result);
  } else {
    CountFailure(slot, result.status());
  }
}

inline void CountWrite(stats::SlotWriter* slot, const absl::Status& status, size_t bytes) {
  if (slot == nullptr) return;
  if (status.ok()) {
    slot->AddBytesOut(bytes);
  } else {
    CountFailure(slot, status);
  }
}

inline void SetState(stats::SlotWriter* slot, stats::WorkerState state) {
  if (slot != nullptr) slot->SetState(state);
}

}  // namespace corral::net
