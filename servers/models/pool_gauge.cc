#include "servers/models/pool_gauge.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::models {

// Shared between processes, so it must not need a lock.
static_assert(std::atomic<int32_t>::is_always_lock_free);

absl::StatusOr<std::unique_ptr<PoolGauge>> PoolGauge::Create(uint32_t pool_size,
                                                             uint32_t max_workers, int listener) {
  base::UniqueFd request(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!request) {
    return absl::InternalError(absl::StrCat("pool: make its worker request: ",
                                            base::SyscallError("eventfd", errno).message()));
  }
  void* page =
      ::mmap(nullptr, sizeof(Counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    return absl::InternalError(
        absl::StrCat("pool: map its count: ", base::SyscallError("mmap", errno).message()));
  }
  // Zero-filled by mmap: an all-zero std::atomic<int32_t> is a zero count.
  return std::unique_ptr<PoolGauge>(new PoolGauge(pool_size, max_workers, listener,
                                                  static_cast<Counts*>(page), std::move(request)));
}

PoolGauge::~PoolGauge() { ::munmap(shared_, sizeof(Counts)); }

bool PoolGauge::ReserveWaitingPlace() {
  if (shared_->workers.load() < max_workers_) return false;
  int32_t waiting = shared_->waiting.load();
  while (waiting <= 0) {
    if (shared_->waiting.compare_exchange_weak(waiting, waiting + 1)) return true;
  }
  return false;
}

void PoolGauge::LeaveWait() {
  // The count can fall below one only when it is stale (a worker killed while waiting was
  // never taken off it, or one was counted twice): ask then too.
  if (shared_->waiting.fetch_sub(1) > 1) return;
  uint64_t one = 1;
  // Full only after 2^64 - 1 requests nobody took; the next one wakes the server anyway.
  (void)!::write(request_.get(), &one, sizeof one);
}

bool PoolGauge::RetireIdle() {
  int32_t waiting = shared_->waiting.load();
  while (waiting > pool_size_) {
    if (shared_->waiting.compare_exchange_weak(waiting, waiting - 1)) return true;
  }
  return false;
}

uint32_t PoolGauge::TakeRequest() {
  uint64_t requests;
  (void)!::read(request_.get(), &requests, sizeof requests);
  if (shared_->waiting.load() > 0) return 0;
  return 1 + Queued();
}

uint32_t PoolGauge::Queued() const {
  // On a listening socket, Linux reports its accept queue's length as tcpi_unacked.
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(listener_, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return 0;
  return info.tcpi_unacked;
}

bool PoolGauge::StillStarved() {
  pollfd listener{listener_, POLLIN, 0};
  const bool pending = ::poll(&listener, 1, 0) > 0;
  const bool starved = pending && was_pending_;
  was_pending_ = pending;
  return starved;
}

}  // namespace corral::models
