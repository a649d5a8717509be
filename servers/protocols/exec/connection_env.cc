#include "servers/protocols/exec/connection_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace corral::protocols::exec {
namespace {

constexpr const char* kOurs[] = {"REMOTE_ADDR=",   "REMOTE_PORT=", "PROTO=",       "TCPREMOTEIP=",
                                 "TCPREMOTEPORT=", "TCPLOCALIP=",  "TCPLOCALPORT="};

// The numeric host (no brackets for IPv6) and port of `address`.
std::optional<std::pair<std::string, uint16_t>> HostAndPort(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    if (::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host) == nullptr) return std::nullopt;
    return std::pair<std::string, uint16_t>(host, ntohs(in.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (::inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host) == nullptr) return std::nullopt;
    return std::pair<std::string, uint16_t>(host, ntohs(in6.sin6_port));
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> ConnectionEnvironment(int socket) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    bool ours = false;
    for (const char* prefix : kOurs) ours = ours || absl::StartsWith(*entry, prefix);
    if (!ours) env.emplace_back(*entry);
  }
  env.emplace_back("PROTO=TCP");
  sockaddr_storage address = {};
  socklen_t length = sizeof address;
  if (::getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    if (auto peer = HostAndPort(address)) {
      env.push_back(absl::StrCat("REMOTE_ADDR=", peer->first));
      env.push_back(absl::StrCat("REMOTE_PORT=", peer->second));
      env.push_back(absl::StrCat("TCPREMOTEIP=", peer->first));
      env.push_back(absl::StrCat("TCPREMOTEPORT=", peer->second));
    }
  }
  length = sizeof address;
  if (::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    if (auto local = HostAndPort(address)) {
      env.push_back(absl::StrCat("TCPLOCALIP=", local->first));
      env.push_back(absl::StrCat("TCPLOCALPORT=", local->second));
    }
  }
  return env;
}

}  // namespace corral::protocols::exec
