// StreamProtocol: a connection handler written once, in blocking style, that every model runs
// unchanged (socketserver's BaseRequestHandler.handle()). Serve() is called once per accepted
// connection, concurrently from many workers, so an implementation keeps per-connection state
// on its stack and shares only immutable configuration.
#pragma once

#include <chrono>

#include "servers/net/stream.h"
#include "spec/spec_defaults.h"

namespace corral::protocols {

class StreamProtocol {
 public:
  virtual ~StreamProtocol() = default;

  // Serves one connection until the peer closes it, an error occurs, or the connection idles
  // longer than the configured idle timeout. Must not throw, and need not let anything pass:
  // the Stream's calls report a timeout, the peer's close and the drain's cut as return values
  // under every model (net/stream.h says what each model's cut looks like), so a connection
  // ends when Serve stops at the first 0 read or non-OK status. The caller closes the stream.
  virtual void Serve(net::Stream& stream) const = 0;

  // True when a connection has nothing to be served until its client sends something, and a
  // connection that has sent nothing yet need not be seen (not served, counted, or timed) at
  // all: the listener then has the kernel hold each connection until its first bytes arrive
  // (TCP_DEFER_ACCEPT, as Apache does for HTTP), so a worker never wakes only to wait for
  // them. Protocols whose silent connections matter to their operator say no.
  virtual bool AcceptsOnFirstBytes() const { return false; }

  // Called once when the server starts draining (after it stopped accepting, before it waits
  // for the connections being served), from the model's main thread while Serve() runs on
  // others. A protocol whose connections wait between requests closes each connection after
  // its current request and ends those waits soon, so a drain does not sit out idle clients
  // and then cut them. Must not block. Under fork each worker process calls it on its own copy:
  // a pool worker from a thread of that process (models/child_drain_watcher.h), a child serving
  // one connection from its serving thread, inside a read (models/connection_drain_signal.h),
  // so it must not wait for a lock that a connection holds while it reads.
  virtual void BeginDrain() const {}

  // True when Serve, in a forked child serving one connection, watches the server's SIGTERM
  // itself (a signalfd on the signal kept blocked, as the exec protocol's wait for its program
  // does). The child then leaves SIGTERM blocked, so the signal stays pending until Serve
  // looks, instead of taking it in ConnectionDrainSignal's handler, which consumes a signal
  // that lands before Serve's first wait and acts on it only at a receive such a protocol
  // never makes.
  virtual bool WatchesDrainSignal() const { return false; }
};

// The echo protocol's options (make_protocol.cc derives them from the spec); the others have
// their own (HttpOptions, FileOptions). Defaults are the spec's (spec/spec_defaults.h).
struct ProtocolOptions {
  // A connection that sends nothing for this long is closed.
  std::chrono::milliseconds idle_timeout{spec::kDefaultIdleTimeoutMs};
};

}  // namespace corral::protocols
