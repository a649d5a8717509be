// AgentClient: corralctl's gRPC client of corral-agent. It speaks gRPC's HTTP/2 protocol itself,
// on one nghttp2 connection opened at the first call (and again after a failure), one call at a
// time, on the caller's thread.
//
// Why not gRPC C++'s client: each command is a short process, and gRPC's client start-up (its
// threads, resolver and channel machinery, and the static initialisers of the whole library)
// cost most of a `corralctl ls` (16-24 ms, of which the agent's answer is 0.3 ms). The agent
// stays a gRPC C++ server and proto/corral/v1/ stays the contract for every other client.
//
// Not thread-safe: one thread uses an AgentClient.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ctl/rpc/agent_methods.h"

namespace google::protobuf {
class MessageLite;
}

namespace corral::ctl::rpc {

class Http2Connection;

class AgentClient {
 public:
  // `target` as `--agent` takes it, after normalising (see ConnectToAgent).
  explicit AgentClient(std::string target);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  const std::string& target() const { return target_; }

  // One request, one response, by `deadline`. The status is the agent's, or Unavailable (could
  // not reach it, or the connection broke), DeadlineExceeded (no answer in time), Internal (the
  // answer was not valid gRPC).
  template <typename Method>
  absl::Status Call(const Method& method, const typename Method::Request& request,
                    typename Method::Response* response, absl::Time deadline) {
    static_assert(
        std::is_same_v<Method, UnaryMethod<typename Method::Request, typename Method::Response>>);
    int received = 0;
    absl::Status status = Run(method.path, request, response, deadline, [&] {
      ++received;
      return true;
    });
    if (status.ok() && received != 1) {
      return absl::InternalError(
          absl::StrCat("the agent sent ", received, " messages for a call that has one answer"));
    }
    return status;
  }

  // One request, then each message of the stream parsed into *message and `on_message` called,
  // until the agent ends the stream (its status is returned) or `on_message` returns false (the
  // call is cancelled and OK returned). `deadline` bounds the whole call.
  template <typename Method>
  absl::Status Stream(const Method& method, const typename Method::Request& request,
                      typename Method::Response* message, absl::FunctionRef<bool()> on_message,
                      absl::Time deadline = absl::InfiniteFuture()) {
    static_assert(
        std::is_same_v<Method,
                       StreamingMethod<typename Method::Request, typename Method::Response>>);
    return Run(method.path, request, message, deadline, on_message);
  }

 private:
  absl::Status Run(std::string_view path, const google::protobuf::MessageLite& request,
                   google::protobuf::MessageLite* message, absl::Time deadline,
                   absl::FunctionRef<bool()> on_message);

  std::string target_;
  std::unique_ptr<Http2Connection> connection_;  // null until the first call, or after a break
};

}  // namespace corral::ctl::rpc
