// DatagramHandler: the DatagramProtocol (protocol udp) that hands each datagram to a plugin's
// serve_datagram. The model counts each datagram as one request with its latency; the plugin's
// count_error adds to its protocol errors.
#pragma once

#include "servers/handler/plugin.h"
#include "servers/protocols/datagram_protocol.h"

namespace corral::handler {

class DatagramHandler final : public protocols::DatagramProtocol {
 public:
  // `plugin` has serve_datagram and outlives this object.
  explicit DatagramHandler(const Plugin& plugin) : plugin_(plugin) {}
  void Serve(const protocols::Datagram& request, net::DatagramSender& sender) const override;

 private:
  const Plugin& plugin_;
};

}  // namespace corral::handler
