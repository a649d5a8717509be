#include "servers/net/stream.h"

#include <algorithm>

namespace corral::net {
namespace {

// Each a no-op when the server keeps no stats (no hook was handed in).
void CountReading(base::IoAccounting* accounting) {
  if (accounting != nullptr) accounting->OnReading();
}
void CountRead(base::IoAccounting* accounting, const absl::StatusOr<size_t>& result) {
  if (accounting != nullptr) accounting->OnRead(result);
}
void CountWriting(base::IoAccounting* accounting) {
  if (accounting != nullptr) accounting->OnWriting();
}
void CountWritten(base::IoAccounting* accounting, const absl::Status& status, size_t bytes) {
  if (accounting != nullptr) accounting->OnWritten(status, bytes);
}

}  // namespace

absl::StatusOr<size_t> Stream::Read(void* buf, size_t len, Deadline deadline) {
  CountReading(accounting_);
  absl::StatusOr<size_t> n = DoRead(buf, len, deadline);
  CountRead(accounting_, n);
  return n;
}

absl::StatusOr<size_t> Stream::ReadNext(void* buf, size_t len, Deadline deadline) {
  if (waiting_ == nullptr) return Read(buf, len, deadline);
  CountReading(accounting_);
  for (;;) {
    // The read waits in slices, so that a worker blocked on an idle connection (a thread in
    // recv, a greenlet on its hub) looks at the waiting clients without anyone having to wake
    // it; a busy connection's read returns within its first slice and costs nothing more.
    const Deadline slice = std::min(
        deadline, DeadlineAfter(waiting_->AtBound() ? kWaitingCheck : kWaitingCheckBelowBound));
    absl::StatusOr<size_t> n = DoRead(buf, len, slice);
    if (n.ok() || !absl::IsDeadlineExceeded(n.status()) || slice >= deadline) {
      CountRead(accounting_, n);
      return n;
    }
    if (YieldToWaitingClient()) return YieldedToWaitingClient();
  }
}

bool Stream::YieldToWaitingClient() {
  if (!yielded_ && waiting_ != nullptr && waiting_->OthersWaiting()) yielded_ = waiting_->Reserve();
  return yielded_;
}

absl::Status YieldedToWaitingClient() {
  return absl::ResourceExhaustedError("idle connection ended: a client waits for its worker");
}

bool IsYieldedToWaitingClient(const absl::Status& status) {
  return absl::IsResourceExhausted(status);
}

absl::Status Stream::WriteAll(const void* buf, size_t len, Deadline deadline) {
  iovec iov{const_cast<void*>(buf), len};
  return WriteAllV(&iov, 1, deadline);
}

absl::Status Stream::WriteAllV(iovec* iov, int count, Deadline deadline) {
  size_t bytes = 0;
  for (int i = 0; i < count; ++i) bytes += iov[i].iov_len;
  CountWriting(accounting_);
  absl::Status status = DoWriteAllV(iov, count, deadline);
  CountWritten(accounting_, status, bytes);
  return status;
}

absl::Status Stream::SendFile(int file_fd, off_t offset, size_t count, Deadline deadline) {
  CountWriting(accounting_);
  absl::Status status = DoSendFile(file_fd, offset, count, deadline);
  CountWritten(accounting_, status, count);
  return status;
}

}  // namespace corral::net
