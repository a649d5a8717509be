// ConnectionDrainSignal: how a forked child that serves one connection (ForkModel without a
// pool) learns that the server drains, so that its keep-alive client is told to leave (http
// answers the next request with Connection: close and ends an idle wait) instead of being cut
// by SIGKILL at the drain deadline.
//
// The server sends each child SIGTERM when it drains (ProcessWorkers::Drain). A pool worker
// has a loop and a thread to watch for that (child_drain_watcher.h); this child has neither to
// spare: a watcher thread in each child cost the model 45% of its Connection: close rate and
// doubled its memory per idle connection (bench/compare). So the child takes SIGTERM in a
// handler that only records it, and acts on it on its own thread at its next receive
// (BlockingStream's before-receive hook): BeginDrain on its copy of the protocol, once. The
// cost per connection is two syscalls (sigaction, sigprocmask), none per request.
//
// A receive already blocked, or about to block (the signal landing between the check and the
// recv(2)), must still wake: so the handler also shortens the connection's receive timeout to
// a tick (setsockopt(2) is async-signal-safe). The recv then returns, interrupted or timed
// out, within that tick either way (SA_RESTART restarts it, and the restarted call reads the
// new timeout), BlockingStream re-arms its own timeout, and the hook sees the record. A
// signal taken by another thread of the child is sent on to the serving thread (pthread_kill),
// whose blocked recv would not see the new timeout otherwise.
//
// Taking the signal in a handler has one effect beyond this: a wait that is never restarted
// (poll(2), a sleep) may return EINTR once in the child when the drain begins. The Stream's
// own calls retry it; a handler's own syscalls must too, as anywhere signals are taken.
//
// One per process at a time: the record is process-wide, as a signal's disposition is.
// Construct it in the child, on the thread that serves, while SIGTERM is still blocked there,
// before the connection is served; destroy it before the socket closes.
#pragma once

#include "servers/protocols/stream_protocol.h"

namespace corral::models {

class ConnectionDrainSignal {
 public:
  // Takes SIGTERM in the recording handler and unblocks it in this thread (it is blocked in
  // every thread of the server, and the mask is inherited). A SIGTERM already pending, sent
  // before the child got here, arrives at once. `connection_fd` is the socket served;
  // `protocol` must outlive this object.
  ConnectionDrainSignal(int connection_fd, const protocols::StreamProtocol& protocol);
  // Forgets the socket, so that a late signal does not touch a closed descriptor's number.
  ~ConnectionDrainSignal();
  ConnectionDrainSignal(const ConnectionDrainSignal&) = delete;
  ConnectionDrainSignal& operator=(const ConnectionDrainSignal&) = delete;

  // Calls the protocol's BeginDrain the first time it runs after SIGTERM came, else nothing
  // (one relaxed load). The serving thread only: pass it as the stream's before-receive hook.
  void BeforeReceive();

 private:
  const protocols::StreamProtocol& protocol_;
  bool drain_begun_ = false;
};

}  // namespace corral::models
