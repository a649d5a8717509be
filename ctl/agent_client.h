// AgentClient: corralctl's client of corral-agent, on gRPC C++ like the agent itself (design
// decision 11). One channel to the target, made at the first call and kept for the process;
// each call is one generated-stub call with the caller's deadline.
//
// Before the first call on a unix socket, the socket is checked (see agent_socket_check.h), so
// an unreachable, unreadable or foreign socket gets a precise error instead of gRPC's generic
// "failed to connect to all addresses".
//
// A TCP target may use TLS (a CA to verify the agent, optionally a client certificate for
// mutual TLS) and a bearer token, sent as `authorization: Bearer SECRET` on every call; see
// docs/remote.md. A token is never sent without TLS.
//
// Not thread-safe: one thread uses an AgentClient.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <string>
#include <type_traits>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "corral/v1/agent.grpc.pb.h"
#include "corral/v1/stats.grpc.pb.h"

namespace corral::ctl {

// How to reach an agent over TCP. Paths; all empty: plaintext, no token (the unix socket).
struct AgentCredentials {
  std::string tls_ca;      // PEM CA that signed the agent's certificate; set: TLS
  std::string token_file;  // the bearer secret, alone on its first non-comment line
  std::string tls_cert;    // PEM client certificate, for an agent with --tls-client-ca
  std::string tls_key;     // its PEM private key
};

class AgentClient {
 public:
  // `target` in gRPC's spelling: "unix:PATH", "unix://ABSOLUTE-PATH" or "HOST:PORT".
  // `owned_home`: the directory the socket must sit in and belong to this user with it (the
  // default home, where another user could have planted a socket first); empty for a target
  // the operator named, which is trusted as named.
  explicit AgentClient(std::string target, std::string owned_home = "",
                       AgentCredentials credentials = {});
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  const std::string& target() const { return target_; }

  // The Agent service's stub, connected as Call connects, for code written against the
  // generated interface (the config apply shared with corral-agent: spec/config_apply.h).
  // Owned by this client.
  absl::StatusOr<v1::Agent::StubInterface*> AgentStub() {
    if (absl::Status ready = Connect(); !ready.ok()) return ready;
    return agent_.get();
  }

  // One request, one response, by `deadline`: `method` is a unary rpc of a generated stub, as
  // &v1::Agent::Stub::List. The status is the agent's, or Unavailable (could not reach it),
  // PermissionDenied (the socket refused us, or is not ours), DeadlineExceeded.
  template <typename Stub, typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response, absl::Time deadline) {
    if (absl::Status ready = Connect(); !ready.ok()) return ready;
    grpc::ClientContext context;
    Prepare(context, deadline);
    return FromGrpc((StubFor<Stub>().*method)(&context, request, response));
  }

  // One request, then each message of the stream parsed into *message and `on_message` called,
  // until the agent ends the stream (its status is returned) or `on_message` returns false (the
  // call is cancelled on the agent's side at once, and OK returned). `deadline` bounds the call.
  template <typename Stub, typename Request, typename Response>
  absl::Status Stream(std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(
                          grpc::ClientContext*, const Request&),
                      const Request& request, Response* message,
                      absl::FunctionRef<bool()> on_message,
                      absl::Time deadline = absl::InfiniteFuture()) {
    if (absl::Status ready = Connect(); !ready.ok()) return ready;
    grpc::ClientContext context;
    Prepare(context, deadline);
    std::unique_ptr<grpc::ClientReader<Response>> reader =
        (StubFor<Stub>().*method)(&context, request);
    bool cancelled = false;
    while (reader->Read(message)) {
      if (!on_message()) {
        context.TryCancel();  // RST_STREAM now: the agent's writer sees it at once
        cancelled = true;
        break;
      }
    }
    grpc::Status status = reader->Finish();
    return cancelled ? absl::OkStatus() : FromGrpc(status);
  }

 private:
  // Checks a unix target and makes the channel and stubs, once; the first failure is kept.
  absl::Status Connect();
  // The channel's credentials from credentials_ (reading the files), or an error naming the
  // file or flag.
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials();
  // The deadline and the bearer token.
  void Prepare(grpc::ClientContext& context, absl::Time deadline) const;
  absl::Status FromGrpc(const grpc::Status& status) const;

  template <typename Stub>
  Stub& StubFor() {
    if constexpr (std::is_same_v<Stub, v1::Agent::Stub>) {
      return *agent_;
    } else {
      static_assert(std::is_same_v<Stub, v1::Stats::Stub>, "a corral.v1 service's stub");
      return *stats_;
    }
  }

  std::string target_;
  std::string owned_home_;
  AgentCredentials credentials_;
  std::string authorization_;    // "Bearer SECRET", or empty
  absl::Status connect_status_;  // of the one Connect() that ran
  bool connected_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> agent_;
  std::unique_ptr<v1::Stats::Stub> stats_;
};

}  // namespace corral::ctl
