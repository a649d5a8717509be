// StreamHandler: the StreamProtocol (protocol tcp) that hands each connection to a plugin's
// serve_stream, so the plugin runs under every model as a built-in protocol does.
//
// Counting: the stream's calls count bytes, timeouts and resets as for any protocol; the
// connection counts as one request, its latency from the accept to serve_stream's return,
// unless the plugin called count_request for it (then its own requests are counted instead).
#pragma once

#include "servers/handler/plugin.h"
#include "servers/protocols/stream_protocol.h"

namespace corral::handler {

class StreamHandler final : public protocols::StreamProtocol {
 public:
  // `plugin` has serve_stream and outlives this object.
  explicit StreamHandler(const Plugin& plugin) : plugin_(plugin) {}
  void Serve(net::Stream& stream) const override;

 private:
  const Plugin& plugin_;
};

}  // namespace corral::handler
