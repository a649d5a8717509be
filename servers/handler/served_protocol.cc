#include "servers/handler/served_protocol.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "servers/handler/datagram_handler.h"
#include "servers/handler/stream_handler.h"
#include "spec/spec_kinds.h"

namespace corral::handler {

absl::StatusOr<ServedProtocol> MakeServedProtocol(const v1::ServerSpec& spec) {
  ServedProtocol served;
  std::optional<ProtocolKind> kind = spec::ProtocolFromProto(spec.protocol());
  if (spec.handler().empty() || !kind) {
    absl::StatusOr<protocols::AnyProtocol> protocol = protocols::MakeProtocol(spec);
    if (!protocol.ok()) return protocol.status();
    served.protocol = *std::move(protocol);
    return served;
  }
  std::map<std::string, std::string> args(spec.handler_args().begin(), spec.handler_args().end());
  absl::StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Load(spec.handler(), args, *kind);
  if (!plugin.ok()) return plugin.status();
  served.plugin = *std::move(plugin);
  switch (*kind) {
    case ProtocolKind::kTcp:
      served.protocol = std::unique_ptr<protocols::StreamProtocol>(
          std::make_unique<StreamHandler>(*served.plugin));
      return served;
    case ProtocolKind::kUdp:
      served.protocol = std::unique_ptr<protocols::DatagramProtocol>(
          std::make_unique<DatagramHandler>(*served.plugin));
      return served;
    default:
      // http with a handler: its routes are mounted by the http protocol (routes branch).
      break;
  }
  return absl::UnimplementedError(absl::StrCat("protocol ", std::string(ProtocolName(*kind)),
                                               " with a handler is not built yet"));
}

}  // namespace corral::handler
