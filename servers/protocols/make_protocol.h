// The one factory that turns corral-server's protocol flags into a handler: a StreamProtocol for
// TCP protocols or a DatagramProtocol for UDP ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "servers/net/min_rate_deadline.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"
#include "servers/server_kinds.h"

namespace corral::protocols {

struct ProtocolConfig {
  std::string root;
  bool allow_overwrite = false;
  uint64_t max_upload_bytes = 1ull << 30;
  std::chrono::milliseconds idle_timeout{60'000};
  // http: how long a request's head may take from its first byte (then 408). Zero derives it
  // from the idle timeout: min(10 s, idle_timeout).
  std::chrono::milliseconds header_timeout{0};
  // http and file: the pace a request body or upload must keep (min_rate_deadline.h).
  net::BodyRate body_rate;
  // http: how long a cached small file is served before its path is stated again.
  std::chrono::milliseconds file_cache_valid{1000};
};

using AnyProtocol =
    std::variant<std::unique_ptr<StreamProtocol>, std::unique_ptr<DatagramProtocol>>;

// FAILED_PRECONDITION / NOT_FOUND when the root cannot be served; UNIMPLEMENTED for a protocol
// not built yet.
absl::StatusOr<AnyProtocol> MakeProtocol(ProtocolKind kind, const ProtocolConfig& config);

}  // namespace corral::protocols
