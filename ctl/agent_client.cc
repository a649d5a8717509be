#include "ctl/agent_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ctl/agent_socket_check.h"

namespace corral::ctl {
namespace {

// The largest answer corralctl accepts: a StatsReport of a server with thousands of worker
// slots is larger than gRPC's 4 MiB default; the agent is who we asked, so this is generous.
constexpr int kMaxAnswerBytes = 64 << 20;

// A TCP target must name its port: gRPC would otherwise try port 443 and time out far away.
// Targets with a gRPC scheme ("dns:///", "ipv4:", ...) are passed through as written.
absl::Status CheckTcpTarget(const std::string& target) {
  if (absl::StrContains(target, ":///") || absl::StartsWith(target, "ipv4:") ||
      absl::StartsWith(target, "ipv6:")) {
    return absl::OkStatus();
  }
  const size_t colon = target.rfind(':');
  const std::string_view port =
      colon == std::string::npos ? "" : std::string_view(target).substr(colon + 1);
  const bool bracketed_v6_without_port = !target.empty() && target.back() == ']';
  if (colon == 0 || port.empty() || bracketed_v6_without_port ||
      !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent address \"", target, "\": expected unix:PATH, a socket path, or HOST:PORT"));
  }
  return absl::OkStatus();
}

}  // namespace

AgentClient::AgentClient(std::string target, std::string owned_home, AgentCredentials credentials)
    : target_(std::move(target)),
      owned_home_(std::move(owned_home)),
      credentials_(std::move(credentials)) {}

AgentClient::~AgentClient() = default;

absl::Status AgentClient::Connect() {
  if (connected_) return connect_status_;
  connected_ = true;
  const std::string path = UnixSocketPath(target_);
  if (!path.empty()) {
    connect_status_ = CheckAgentSocket(path, owned_home_);
  } else if (!absl::StartsWith(target_, "unix-abstract:")) {
    connect_status_ = CheckTcpTarget(target_);
  }
  if (!connect_status_.ok()) return connect_status_;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = MakeCredentials();
  if (!credentials.ok()) return connect_status_ = credentials.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxAnswerBytes);
  channel_ = grpc::CreateCustomChannel(target_, *credentials, args);
  agent_ = v1::Agent::NewStub(channel_);
  stats_ = v1::Stats::NewStub(channel_);
  return connect_status_;
}

void AgentClient::Prepare(grpc::ClientContext& context, absl::Time deadline) const {
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
  if (!authorization_.empty()) context.AddMetadata("authorization", authorization_);
}

}  // namespace corral::ctl
