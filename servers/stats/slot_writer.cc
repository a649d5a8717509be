#include "servers/stats/slot_writer.h"

namespace corral::stats {

SlotWriter& SlotWriter::operator=(SlotWriter&& other) noexcept {
  if (this != &other) {
    Release();
    slot_ = other.slot_;
    index_ = other.index_;
    other.slot_ = nullptr;
  }
  return *this;
}

namespace {

void CountFailure(SlotWriter& slot, const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) {
    slot.OnError(ErrorKind::kTimeout);
  } else if (absl::IsUnavailable(status)) {
    slot.OnError(ErrorKind::kReset);
  }
}

}  // namespace

void SlotWriter::OnRead(const absl::StatusOr<size_t>& result) {
  if (result.ok()) {
    AddBytesIn(*result);
  } else {
    CountFailure(*this, result.status());
  }
}

void SlotWriter::OnWritten(const absl::Status& status, size_t bytes) {
  if (status.ok()) {
    AddBytesOut(bytes);
  } else {
    CountFailure(*this, status);
  }
}

void SlotWriter::Release() noexcept {
  if (slot_ == nullptr) return;
  slot_->state.store(static_cast<uint32_t>(WorkerState::kFree), std::memory_order_relaxed);
  // Release ordering: the next owner's acquiring CAS sees all our counter stores, so its
  // load+store increments continue from our final values.
  slot_->owner.store(0, std::memory_order_release);
  slot_ = nullptr;
}

}  // namespace corral::stats
