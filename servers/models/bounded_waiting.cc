#include "servers/models/bounded_waiting.h"

#include "servers/models/wait_for_work.h"

namespace corral::models {

bool BoundedWaiting::OthersWaiting() {
  // The count first: below the bound it answers without a syscall.
  if (!at_bound_()) return false;
  return clients_wait_ ? clients_wait_() : IsReadable(listener_);
}

bool BoundedWaiting::Reserve() {
  if (!reserve_()) return false;
  reserved_ = true;
  return true;
}

bool BoundedWaiting::TakeReservation() {
  const bool reserved = reserved_;
  reserved_ = false;
  return reserved;
}

}  // namespace corral::models
