// WaitingClients: what a worker holding an idle connection learns from its model about clients
// that wait to be accepted, so that an idle keep-alive connection never holds a worker a waiting
// client needs (design decision 24). A model whose workers are bounded (a pool, or max_workers
// reached) hands one to each stream it serves; Stream::ReadNext and Stream::OthersWaiting ask it.
//
// Owned by the worker (its thread, process or greenlet) and used by it alone, like the Stream.
#pragma once

namespace corral::net {

class WaitingClients {
 public:
  virtual ~WaitingClients() = default;

  // True when a client waits to be accepted and no worker is free to take it: every worker is
  // serving and the model may start no more. Cheap while workers are free (a few atomic loads);
  // at the bound it also looks at the listener (one poll(2) with no wait).
  virtual bool OthersWaiting() = 0;

  // Every worker is serving and no more may start (whether or not anyone waits): the atomic
  // loads of OthersWaiting alone. Below it an idle connection looks less often (ReadNext).
  virtual bool AtBound() = 0;

  // Called once OthersWaiting() said so, by a worker whose connection is idle: reserves the
  // waiting client for this worker, which then ends its connection and takes it. False when
  // another worker reserved it first (one waiting client makes one connection yield, not every
  // idle one). A reservation is not given back: the worker ends its connection.
  virtual bool Reserve() = 0;
};

}  // namespace corral::net
