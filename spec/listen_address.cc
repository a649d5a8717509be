#include "spec/listen_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "servers/net/address.h"

namespace corral::spec {
namespace {

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// The numeric addresses `host` resolves to, in the resolver's order, without repeats.
absl::StatusOr<std::vector<std::string>> Resolve(const std::string& host, const std::string& text) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", text, "\": cannot resolve ", host, ": ", ::gai_strerror(rc)));
  }
  std::vector<std::string> addresses;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        ::inet_ntop(a->ai_family, raw, buf, sizeof buf) == nullptr) {
      continue;
    }
    std::string address = a->ai_family == AF_INET6 ? absl::StrCat("[", buf, "]") : buf;
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(std::move(address));
    }
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", text, "\": ", host, " has no IPv4 or IPv6 address"));
  }
  return addresses;
}

}  // namespace

absl::StatusOr<ListenAddress> ResolveListenAddress(const std::string& text) {
  if (AllDigits(text)) return ListenAddress{absl::StrCat("127.0.0.1:", text), ""};
  if (net::Address::Parse(text).ok()) return ListenAddress{std::string(text), ""};
  const size_t colon = text.rfind(':');
  const std::string host(text.substr(0, colon == std::string::npos ? 0 : colon));
  // Only a name is looked up; anything else gets the parser's own reason.
  if (colon == std::string::npos || host.empty() || host.front() == '[' ||
      host.find(':') != std::string::npos || !absl::ascii_isalpha(host.front())) {
    return net::Address::Parse(text).status();
  }
  const std::string port = text.substr(colon + 1);
  if (!AllDigits(port)) return net::Address::Parse(text).status();
  absl::StatusOr<std::vector<std::string>> addresses = Resolve(host, text);
  if (!addresses.ok()) return addresses.status();
  std::string chosen = addresses->front();
  for (const std::string& address : *addresses) {
    if (address.front() != '[') {
      chosen = address;
      break;
    }
  }
  ListenAddress result{absl::StrCat(chosen, ":", port), ""};
  if (addresses->size() > 1) {
    result.note = absl::StrCat(host, " is ", absl::StrJoin(*addresses, " and "), "; listening on ",
                               result.address);
  }
  if (!net::Address::Parse(result.address).ok())
    return net::Address::Parse(result.address).status();
  return result;
}

}  // namespace corral::spec
