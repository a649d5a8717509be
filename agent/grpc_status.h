// The one place where absl::Status (used inside the agent) becomes grpc::Status (the API edge).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace corral::agent {

// Same code, same message; OK stays OK.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace corral::agent
