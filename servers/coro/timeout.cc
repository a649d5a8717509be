#include "servers/coro/timeout.h"

#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"

namespace corral::coro {

Timeout::Timeout(Deadline deadline) : hub_(&Hub::Current()), target_(Greenlet::Current()) {
  if (!deadline.is_never()) hub_->timers().Add(this, deadline.when());
}

Timeout::~Timeout() { Cancel(); }

void Timeout::Cancel() {
  hub_->timers().Cancel(this);
  if (raised_) hub_->Withdraw(target_, std::exchange(raised_, nullptr));
}

void Timeout::Fire() {
  fired_ = true;
  raised_ = std::make_exception_ptr(TimeoutExpired(this));
  hub_->Interrupt(target_, raised_);
}

}  // namespace corral::coro
