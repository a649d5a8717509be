#include "servers/cooperative/where.h"

#include "servers/coro/greenlet.h"
#include "servers/coro/nothrow.h"

namespace corral::cooperative {

coro::Hub* CurrentHub() {
  coro::Hub* hub = coro::Hub::IfExists();
  if (hub == nullptr) return nullptr;
  coro::Greenlet* self = coro::Greenlet::Current();
  // The root greenlet has no parent; the hub's own greenlet may not block at all.
  if (self->parent() == nullptr || self == hub->greenlet().get()) return nullptr;
  return hub;
}

absl::Status CheckNotCancelled(const char* action) {
  if (coro::Hub::IfExists() == nullptr || !coro::nothrow::Cancelled()) return absl::OkStatus();
  return coro::nothrow::CancelledError(action, -1);
}

const void* CurrentTaskKey() {
  return CurrentHub() != nullptr ? static_cast<const void*>(coro::Greenlet::Current()) : nullptr;
}

}  // namespace corral::cooperative
