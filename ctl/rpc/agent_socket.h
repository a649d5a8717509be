// Connecting corralctl to the agent: the target forms `--agent` accepts, resolved and connected
// with a deadline, without any RPC machinery.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "servers/net/unique_fd.h"

namespace corral::ctl::rpc {

struct AgentSocket {
  net::UniqueFd fd;  // connected, non-blocking, close-on-exec
  // The HTTP/2 :authority for calls on it: "localhost" for a unix socket, else HOST:PORT.
  std::string authority;
};

// Connects to `target`: "unix:PATH", "unix://ABSOLUTE-PATH" (gRPC's spellings of a unix socket),
// or "HOST:PORT" / "[IPV6]:PORT" (every address the name resolves to is tried in turn).
// Unavailable, naming the target and the reason, when nothing accepts before `deadline`;
// InvalidArgument for a target that is none of those forms.
absl::StatusOr<AgentSocket> ConnectToAgent(const std::string& target, absl::Time deadline);

}  // namespace corral::ctl::rpc
