// PollingStream: a Stream over a non-blocking socket for workers that own an OS thread (the
// fork and thread models). Each call tries the syscall first and waits in poll(2) only on
// EAGAIN, so a ready socket costs one syscall, the same shape as the coroutine model's calls.
#pragma once

#include <functional>

#include "base/unique_fd.h"
#include "servers/net/stream.h"

namespace corral::net {

class PollingStream final : public Stream {
 public:
  // Takes ownership of the non-blocking socket `fd`; closes it on destruction.
  explicit PollingStream(base::UniqueFd fd) : owned_(std::move(fd)), fd_(owned_.get()) {}
  // Uses the non-blocking socket `fd` without owning it.
  explicit PollingStream(int fd) : fd_(fd) {}

  int fd() const override { return fd_; }

 private:
  absl::StatusOr<size_t> DoRead(void* buf, size_t len, Deadline deadline) override;
  absl::Status DoWriteAllV(iovec* iov, int count, Deadline deadline) override;
  absl::Status DoSendFile(int file_fd, off_t offset, size_t count, Deadline deadline) override;

  base::UniqueFd owned_;
  int fd_;
};

// The writev loop shared by every Stream: writes every byte, calling `wait_writable` on EAGAIN
// (right after it, with nothing in between: CoroutineStream's wait relies on that).
absl::Status WriteAllVWith(int socket_fd, iovec* iov, int count,
                           const std::function<absl::Status()>& wait_writable);

// The sendfile loop shared by every Stream: sends until done, calling `wait_writable` right
// after each EAGAIN (poll(2) for PollingStream, parking the greenlet for the coroutine model).
absl::Status SendFileWith(int socket_fd, int file_fd, off_t offset, size_t count,
                          const std::function<absl::Status()>& wait_writable);

}  // namespace corral::net
