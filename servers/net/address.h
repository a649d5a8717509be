// Address: an IPv4 or IPv6 socket address, parsed from and printed as "HOST:PORT".
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace corral::net {

class Address {
 public:
  // Parses "1.2.3.4:80" or "[::1]:80". The host must be numeric (no DNS on the start path);
  // the port is 0..65535, 0 meaning "any free port". Errors are INVALID_ARGUMENT and say why.
  static absl::StatusOr<Address> Parse(std::string_view text);
  // Wraps what accept(), getsockname() or recvfrom() filled in.
  static Address FromSockaddr(const sockaddr* sa, socklen_t len);

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;

  // "1.2.3.4:80" or "[::1]:80".
  std::string ToString() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace corral::net
