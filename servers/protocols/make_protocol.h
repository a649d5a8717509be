// The one factory that turns a validated ServerSpec into its protocol's handler: a StreamProtocol
// for TCP protocols or a DatagramProtocol for UDP ones. Each protocol's options are derived from
// the spec here and nowhere else.
#pragma once

#include <memory>
#include <variant>

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/protocols/stream_protocol.h"

namespace corral::http {
class RouteTable;
}  // namespace corral::http

namespace corral::protocols {

using AnyProtocol =
    std::variant<std::unique_ptr<StreamProtocol>, std::unique_ptr<DatagramProtocol>>;

// `spec` has been through spec::ValidateSpec (every default filled in). FAILED_PRECONDITION /
// NOT_FOUND when the root cannot be served; INVALID_ARGUMENT for a protocol this build does not
// know. `routes`: a handler plugin's routes, mounted by the http protocol (ignored by others).
absl::StatusOr<AnyProtocol> MakeProtocol(const v1::ServerSpec& spec,
                                         std::shared_ptr<const http::RouteTable> routes = nullptr);

}  // namespace corral::protocols
