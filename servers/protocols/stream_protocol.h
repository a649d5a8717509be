// StreamProtocol: a connection handler written once, in blocking style, that every model runs
// unchanged (socketserver's BaseRequestHandler.handle()). Serve() is called once per accepted
// connection, concurrently from many workers, so an implementation keeps per-connection state
// on its stack and shares only immutable configuration.
#pragma once

#include <chrono>

#include "servers/net/stream.h"

namespace corral::protocols {

class StreamProtocol {
 public:
  virtual ~StreamProtocol() = default;

  // Serves one connection until the peer closes it, an error occurs, or the connection idles
  // longer than the configured idle timeout. Must not throw. The caller closes the stream.
  virtual void Serve(net::Stream& stream) const = 0;

  // True when a connection has nothing to be served until its client sends something, and a
  // connection that has sent nothing yet need not be seen (not served, counted, or timed) at
  // all: the listener then has the kernel hold each connection until its first bytes arrive
  // (TCP_DEFER_ACCEPT, as Apache does for HTTP), so a worker never wakes only to wait for
  // them. Protocols whose silent connections matter to their operator say no.
  virtual bool AcceptsOnFirstBytes() const { return false; }
};

// Configuration shared by the protocols; each uses the parts it needs.
struct ProtocolOptions {
  // A connection that sends nothing for this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
};

}  // namespace corral::protocols
