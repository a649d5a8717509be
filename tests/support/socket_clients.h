// Clients that talk to a test's server over real sockets, and payloads that show misplaced
// bytes. Each call blocks its thread for at most its stated deadline.
#pragma once

#include <cstddef>
#include <string>

#include "base/unique_fd.h"

namespace corral::testing {

// A connected, non-blocking TCP client socket to "HOST:PORT" (invalid on failure).
base::UniqueFd ConnectTcp(const std::string& address);
// Sends `message` on `fd` and reads back as many bytes; "" on failure or after 30 s.
std::string EchoOn(int fd, const std::string& message);
// Whether the server end of the IPv4 loopback TCP connection `fd` has read everything sent to it
// (its receive queue in /proc/net/tcp is empty, or it is gone): how a test waits for a server to
// pick up bytes that draw no answer, such as half a request.
bool PeerHasReadAll(int fd);
// One datagram to `address` and its reply ("" after 10 s).
std::string UdpRoundTrip(const std::string& address, const std::string& message);

// A payload of `size` bytes in a pattern that shows misplaced bytes.
std::string Pattern(size_t size, unsigned seed = 0);

}  // namespace corral::testing
