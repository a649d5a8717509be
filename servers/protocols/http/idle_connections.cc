#include "servers/protocols/http/idle_connections.h"

#include <sys/socket.h>

namespace corral::http {

IdleConnections::Waiting::Waiting(IdleConnections& connections, int fd)
    : connections_(connections), fd_(fd) {
  absl::MutexLock lock(&connections_.mu_);
  if (connections_.swept_) {
    // Errors (ENOTCONN after the peer reset) leave nothing to wake.
    ::shutdown(fd_, SHUT_RD);
    return;
  }
  next_ = connections_.first_;
  if (next_ != nullptr) next_->prev_ = this;
  connections_.first_ = this;
  linked_ = true;
}

IdleConnections::Waiting::~Waiting() {
  if (!linked_) return;
  absl::MutexLock lock(&connections_.mu_);
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    connections_.first_ = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
}

IdleConnections::~IdleConnections() {
  {
    absl::MutexLock lock(&mu_);
    destroying_ = true;
  }
  if (sweeper_.joinable()) sweeper_.join();
}

void IdleConnections::BeginDrain(std::chrono::milliseconds sweep_after) {
  absl::MutexLock lock(&mu_);
  if (draining_.exchange(true, std::memory_order_acq_rel)) return;
  sweeper_ = std::thread([this, sweep_after] {
    {
      absl::MutexLock lock(&mu_);
      // Woken early only by the destructor.
      mu_.AwaitWithTimeout(absl::Condition(&destroying_), absl::FromChrono(sweep_after));
      if (destroying_) return;
    }
    Sweep();
  });
}

void IdleConnections::Sweep() {
  absl::MutexLock lock(&mu_);
  swept_ = true;
  for (Waiting* waiting = first_; waiting != nullptr; waiting = waiting->next_) {
    ::shutdown(waiting->fd_, SHUT_RD);
  }
}

}  // namespace corral::http
