// PollingStream: a Stream over a non-blocking socket for workers that own an OS thread (the
// fork and thread models). Each call tries the syscall first and waits in poll(2) only on
// EAGAIN, so a ready socket costs one syscall, the same shape as the coroutine model's calls.
#pragma once

#include "servers/net/stream.h"
#include "servers/net/unique_fd.h"

namespace corral::net {

class PollingStream final : public Stream {
 public:
  // Takes ownership of the non-blocking socket `fd`; closes it on destruction.
  explicit PollingStream(UniqueFd fd) : owned_(std::move(fd)), fd_(owned_.get()) {}
  // Uses the non-blocking socket `fd` without owning it.
  explicit PollingStream(int fd) : fd_(fd) {}

  absl::StatusOr<size_t> Read(void* buf, size_t len, Deadline deadline) override;
  absl::Status WriteAll(const void* buf, size_t len, Deadline deadline) override;
  absl::Status WriteAllV(iovec* iov, int count, Deadline deadline) override;
  int fd() const override { return fd_; }

 private:
  UniqueFd owned_;
  int fd_;
};

// Waits until `fd` is ready for `events` (POLLIN / POLLOUT) or `deadline` passes. Retries
// EINTR. Returns OK when ready (or on error/hang-up: the next syscall reports it),
// DEADLINE_EXCEEDED otherwise.
absl::Status PollUntil(int fd, short events, Deadline deadline);

}  // namespace corral::net
