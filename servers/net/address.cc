#include "servers/net/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace corral::net {
namespace {

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("address \"", std::string(text), "\": ", std::string(why), " (expected HOST:PORT, e.g. 127.0.0.1:8080)"));
}

}  // namespace

absl::StatusOr<Address> Address::Parse(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Invalid(text, "no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Invalid(text, "port must be a number from 0 to 65535");
  }

  Address address;
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  std::string host_z(bracketed ? host.substr(1, host.size() - 2) : host);
  if (host_z.empty()) return Invalid(text, "no host");
  if (bracketed) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&address.storage_);
    if (inet_pton(AF_INET6, host_z.c_str(), &sin6->sin6_addr) != 1) {
      return Invalid(text, "not a numeric IPv6 address");
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    address.length_ = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&address.storage_);
    if (inet_pton(AF_INET, host_z.c_str(), &sin->sin_addr) != 1) {
      return Invalid(text, host_z.find(':') != std::string::npos
                               ? "IPv6 hosts must be in brackets, as [::1]:8080"
                               : "not a numeric IPv4 address");
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    address.length_ = sizeof(sockaddr_in);
  }
  return address;
}

Address Address::FromSockaddr(const sockaddr* sa, socklen_t len) {
  Address address;
  len = std::min<socklen_t>(len, sizeof(address.storage_));
  std::memcpy(&address.storage_, sa, len);
  address.length_ = len;
  return address;
}

uint16_t Address::port() const {
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  return 0;
}

std::string Address::ToString() const {
  char host[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, host,
              sizeof host);
    return absl::StrCat("[", host, "]:", port());
  }
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, host,
              sizeof host);
  }
  return absl::StrCat(host, ":", port());
}

}  // namespace corral::net
