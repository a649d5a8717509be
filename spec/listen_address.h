// What a --listen value means, before the spec holds it: the spec (and the agent) take only a
// numeric HOST:PORT, so a command line's friendlier forms are turned into one here, where the
// user is (their resolver, their /etc/hosts).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace corral::spec {

struct ListenAddress {
  std::string address;  // numeric HOST:PORT, as ServerSpec.listen takes it
  std::string note;     // what was chosen when the value allowed several; "" otherwise
};

// "127.0.0.1:8080" and "[::1]:8080" as they are. A bare port "8080" is 127.0.0.1:8080: loopback
// only, as the default listen is, so that serving beyond this machine is always spelled out
// (0.0.0.0:8080). "localhost:8080" and other host names are resolved; with several addresses the
// first IPv4 one is used (else the first), and `note` says which and what else there was.
// INVALID_ARGUMENT with the reason otherwise (no port, a name that does not resolve).
absl::StatusOr<ListenAddress> ResolveListenAddress(const std::string& text);

}  // namespace corral::spec
