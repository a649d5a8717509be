// UdpEcho: sends every datagram back to its sender (RFC 862 over UDP).
#pragma once

#include "servers/protocols/datagram_protocol.h"

namespace corral::protocols {

class UdpEcho final : public DatagramProtocol {
 public:
  void Serve(const Datagram& request, net::DatagramSender& sender) const override;
};

}  // namespace corral::protocols
