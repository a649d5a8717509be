// TcpEcho: sends every byte it receives back to the sender (RFC 862 over TCP).
//
// Slow clients: echo has no request to frame, so a byte now and then is a legitimate echo
// session (a person typing), not a stalled request; neither a header deadline nor a minimum
// rate fits it. What bounds a trickling client is the server's per-client connection cap
// (--max-connections-per-client: one address cannot hold more than its share of workers) and
// the idle timeout per read and per write (a client that goes silent, or stops reading its
// echo, is closed).
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
