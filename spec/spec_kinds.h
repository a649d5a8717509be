// Conversions between the API's Protocol/Model enums and corral-server's kinds
// (servers/server_kinds.h, which holds the names).
#pragma once

#include <optional>

#include "corral/v1/server.pb.h"
#include "servers/server_kinds.h"

namespace corral::spec {

// nullopt for *_UNSPECIFIED and values this build does not know.
std::optional<ProtocolKind> ProtocolFromProto(v1::Protocol protocol);
std::optional<ModelKind> ModelFromProto(v1::Model model);
v1::Protocol ProtocolToProto(ProtocolKind kind);
v1::Model ModelToProto(ModelKind kind);

}  // namespace corral::spec
