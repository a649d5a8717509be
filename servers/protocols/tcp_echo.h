// TcpEcho: sends every byte it receives back to the sender (RFC 862 over TCP).
#pragma once

#include "servers/protocols/stream_protocol.h"

namespace corral::protocols {

class TcpEcho final : public StreamProtocol {
 public:
  explicit TcpEcho(const ProtocolOptions& options) : options_(options) {}
  void Serve(net::Stream& stream) const override;

 private:
  ProtocolOptions options_;
};

}  // namespace corral::protocols
