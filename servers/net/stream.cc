#include "servers/net/stream.h"

#include "servers/net/stream_accounting.h"

namespace corral::net {

absl::StatusOr<size_t> Stream::Read(void* buf, size_t len, Deadline deadline) {
  SetState(stats_, stats::WorkerState::kReading);
  absl::StatusOr<size_t> n = DoRead(buf, len, deadline);
  CountRead(stats_, n);
  return n;
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
