// BoundedWaiting: the net::WaitingClients every model hands its streams (design decision 24).
// Clients wait when the listener is readable while the model's own count says every worker is
// taken; a worker reserves one by the model's own means (a pool worker enters the accept wait
// in advance, a connection thread likewise, a greenlet claims its hub's next permit, a fork
// child a flag its server raised). Both counts live with the model; this only puts the
// listener beside them.
//
// One per worker (thread, process or greenlet), used by it alone.
#pragma once

#include <functional>

#include "servers/net/waiting_clients.h"

namespace corral::models {

class BoundedWaiting final : public net::WaitingClients {
 public:
  // `listener`: where clients wait. `at_bound`: every worker is serving and no more may start.
  // `reserve`: takes the place of the worker that will accept the waiting client, so that no
  // other worker yields for it; false when none is left. Called from this worker only; cheap.
  BoundedWaiting(int listener, std::function<bool()> at_bound, std::function<bool()> reserve)
      : listener_(listener), at_bound_(std::move(at_bound)), reserve_(std::move(reserve)) {}

  // For a worker without the listener (a fork child: its server watches the listener for it):
  // `clients_wait` says, at the bound, that a client waits.
  static BoundedWaiting WithoutListener(std::function<bool()> at_bound,
                                        std::function<bool()> clients_wait,
                                        std::function<bool()> reserve) {
    BoundedWaiting waiting(-1, std::move(at_bound), std::move(reserve));
    waiting.clients_wait_ = std::move(clients_wait);
    return waiting;
  }

  bool OthersWaiting() override;
  bool AtBound() override { return at_bound_(); }
  bool Reserve() override;

  // A reservation was made since the last take: the worker's connection ended for it, and its
  // place among those waiting to accept is already counted. Clears it.
  bool TakeReservation();

 private:
  const int listener_;
  const std::function<bool()> at_bound_;
  const std::function<bool()> reserve_;
  std::function<bool()> clients_wait_;  // set only WithoutListener
  bool reserved_ = false;
};

}  // namespace corral::models
