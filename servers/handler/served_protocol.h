// MakeServedProtocol: what corral-server serves for a validated spec: a built-in protocol
// (protocols::MakeProtocol), or one whose connections or datagrams a handler plugin serves.
// The plugin, when there is one, is loaded and initialised here, so call this once, before any
// worker exists (forked workers then inherit it).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"
#include "servers/handler/plugin.h"
#include "servers/protocols/make_protocol.h"

namespace corral::handler {

struct ServedProtocol {
  // Declared first: the protocol refers to it, so it is destroyed last.
  std::unique_ptr<Plugin> plugin;  // null for a built-in protocol
  protocols::AnyProtocol protocol;
};

// Errors: MakeProtocol's, and the plugin's (plugin.h: FAILED_PRECONDITION "load handler ...").
absl::StatusOr<ServedProtocol> MakeServedProtocol(const v1::ServerSpec& spec);

}  // namespace corral::handler
