#include "servers/net/stream.h"

#include <algorithm>

#include "servers/net/stream_accounting.h"

namespace corral::net {

absl::StatusOr<size_t> Stream::Read(void* buf, size_t len, Deadline deadline) {
  SetState(stats_, stats::WorkerState::kReading);
  absl::StatusOr<size_t> n = DoRead(buf, len, deadline);
  CountRead(stats_, n);
  return n;
}

absl::StatusOr<size_t> Stream::ReadNext(void* buf, size_t len, Deadline deadline) {
  if (waiting_ == nullptr) return Read(buf, len, deadline);
  SetState(stats_, stats::WorkerState::kReading);
  for (;;) {
    // The read waits in slices, so that a worker blocked on an idle connection (a thread in
    // recv, a greenlet on its hub) looks at the waiting clients without anyone having to wake
    // it; a busy connection's read returns within its first slice and costs nothing more.
    const Deadline slice = std::min(
        deadline, DeadlineAfter(waiting_->AtBound() ? kWaitingCheck : kWaitingCheckBelowBound));
    absl::StatusOr<size_t> n = DoRead(buf, len, slice);
    if (n.ok() || !absl::IsDeadlineExceeded(n.status()) || slice >= deadline) {
      CountRead(stats_, n);
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
  SetState(stats_, stats::WorkerState::kWriting);
  absl::Status status = DoWriteAllV(iov, count, deadline);
  CountWrite(stats_, status, bytes);
  return status;
}

absl::Status Stream::SendFile(int file_fd, off_t offset, size_t count, Deadline deadline) {
  SetState(stats_, stats::WorkerState::kWriting);
  absl::Status status = DoSendFile(file_fd, offset, count, deadline);
  CountWrite(stats_, status, count);
  return status;
}

}  // namespace corral::net
