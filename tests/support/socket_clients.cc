#include "tests/support/socket_clients.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>

#include "servers/net/address.h"
#include "servers/net/polling_stream.h"

namespace corral::testing {

net::UniqueFd ConnectTcp(const std::string& address) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return net::UniqueFd();
  net::UniqueFd fd(::socket(a->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), a->sockaddr_ptr(), a->length()) != 0) return net::UniqueFd();
  ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  return fd;
}

std::string EchoOn(int fd, const std::string& message) {
  net::PollingStream stream(fd);
  net::Deadline deadline = net::DeadlineAfter(std::chrono::seconds(30));
  std::string got(message.size(), '\0');
  size_t sent = 0, have = 0;
  // Interleave writing and reading, so a large message cannot deadlock on full buffers.
  while (have < got.size()) {
    if (sent < message.size()) {
      size_t chunk = std::min<size_t>(64 * 1024, message.size() - sent);
      if (!stream.WriteAll(message.data() + sent, chunk, deadline).ok()) return "";
      sent += chunk;
    }
    while (have < sent) {
      absl::StatusOr<size_t> n = stream.Read(got.data() + have, got.size() - have,
                                             sent < message.size() ? net::Clock::now() : deadline);
      if (!n.ok()) {
        if (absl::IsDeadlineExceeded(n.status()) && sent < message.size()) break;
        return "";
      }
      if (*n == 0) return "";
      have += *n;
    }
  }
  return got;
}

std::string UdpRoundTrip(const std::string& address, const std::string& message) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return "";
  net::UniqueFd fd(::socket(a->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::sendto(fd.get(), message.data(), message.size(), 0, a->sockaddr_ptr(), a->length()) < 0) {
    return "";
  }
  std::string got(70'000, '\0');
  ssize_t n = ::recv(fd.get(), got.data(), got.size(), 0);
  if (n < 0) return "";
  got.resize(n);
  return got;
}

std::string Pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>((i * 131 + seed * 17 + i / 251) & 0xff);
  return s;
}

}  // namespace corral::testing
