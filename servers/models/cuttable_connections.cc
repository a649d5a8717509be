#include "servers/models/cuttable_connections.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace corral::models {

CuttableConnections::Slot::Slot(CuttableConnections& registry) : registry_(registry) {
  absl::MutexLock lock(&registry_.mu_);
  registry_.slots_.push_back(this);
}

CuttableConnections::Slot::~Slot() {
  CloseServed();
  absl::MutexLock lock(&registry_.mu_);
  registry_.slots_.erase(std::find(registry_.slots_.begin(), registry_.slots_.end(), this));
}

void CuttableConnections::Slot::Serve(int fd) {
  absl::MutexLock lock(&mu_);
  fd_ = fd;
}

void CuttableConnections::Slot::CloseServed() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

size_t CuttableConnections::CutAll() {
  size_t cut = 0;
  absl::MutexLock lock(&mu_);
  for (Slot* slot : slots_) {
    absl::MutexLock serving(&slot->mu_);
    if (slot->fd_ >= 0) {
      ::shutdown(slot->fd_, SHUT_RDWR);
      ++cut;
    }
  }
  return cut;
}

}  // namespace corral::models
