// The validation of a command server's spec (ServerSpec.command set: any program, issue 21), and
// the refusal of those fields on a corral-server spec. Called by ValidateSpec only, so the two
// kinds of server read alike to a client. Pure apart from making paths absolute.
#pragma once

#include "absl/status/status.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {

// At most this many sockets per server (listen included): SpawnChild hands over 16 descriptors
// and stdio, spec and scoreboard take five.
inline constexpr int kMaxSockets = 8;

bool IsCommandServer(const v1::ServerSpec& spec);

// Checks a command server's fields and fills their defaults (stop_timeout_ms, ready); refuses
// the serving fields that only corral-server reads (protocol, model, root, ...). Call after the
// supervision policy's defaults are in. INVALID_ARGUMENT naming the field.
absl::Status CheckCommandServer(v1::ServerSpec& spec);

// For a corral-server spec: INVALID_ARGUMENT when a command server's field is set.
absl::Status CheckNoCommandFields(const v1::ServerSpec& spec);

}  // namespace corral::spec
