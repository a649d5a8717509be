#include "tests/support/socket_clients.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "servers/net/address.h"
#include "servers/net/polling_stream.h"

namespace corral::testing {

base::UniqueFd ConnectTcp(const std::string& address) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return base::UniqueFd();
  base::UniqueFd fd(::socket(a->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), a->sockaddr_ptr(), a->length()) != 0) return base::UniqueFd();
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

bool PeerHasReadAll(int fd) {
  sockaddr_in ours{}, theirs{};
  socklen_t ours_length = sizeof ours, theirs_length = sizeof theirs;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ours), &ours_length) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &theirs_length) != 0) {
    return true;
  }
  // The kernel prints an address as its 32 bits in memory order, a port in host order.
  auto hex = [](const sockaddr_in& a) {
    return absl::StrFormat("%08X:%04X", a.sin_addr.s_addr, ntohs(a.sin_port));
  };
  // The server's socket is the one whose local end is our peer and whose remote end is us.
  const std::string wanted = hex(theirs) + " " + hex(ours);
  std::ifstream table("/proc/net/tcp");
  std::string line;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;  // queues: "TX:RX" in hex
    if (local + " " + remote != wanted) continue;
    size_t colon = queues.find(':');
    return colon != std::string::npos && std::stoul(queues.substr(colon + 1), nullptr, 16) == 0;
  }
  return true;
}

std::string UdpRoundTrip(const std::string& address, const std::string& message) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return "";
  base::UniqueFd fd(::socket(a->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
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
