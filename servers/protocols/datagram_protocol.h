// DatagramProtocol: a datagram handler written once, in blocking style, that every model runs
// unchanged (socketserver's handle() for UDPServer, where the request is (data, socket)).
// Serve() is called once per received datagram, concurrently from many workers.
#pragma once

#include <cstddef>

#include "servers/net/address.h"
#include "servers/net/datagram_sender.h"

namespace corral::protocols {

struct Datagram {
  const char* data;  // valid only during Serve()
  size_t size;
  net::Address peer;
};

class DatagramProtocol {
 public:
  virtual ~DatagramProtocol() = default;
  // Handles one datagram. Must not throw.
  virtual void Serve(const Datagram& request, net::DatagramSender& sender) const = 0;
};

// The largest UDP payload (IPv6 jumbograms aside): 65535 - 8 (UDP header) bytes; over IPv4 the
// IP header leaves 65507. Receive buffers are this large so nothing is truncated.
inline constexpr size_t kMaxDatagramSize = 65535 - 8;

}  // namespace corral::protocols
