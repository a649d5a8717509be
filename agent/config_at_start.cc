#include "agent/config_at_start.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <sstream>

#include "absl/strings/str_split.h"
#include "corral/v1/agent.grpc.pb.h"
#include "spdlog/spdlog.h"
#include "spec/config_apply.h"

namespace corral::agent {

absl::Status ApplyConfigAtStart(const spec::ConfigFile& file, const std::string& socket_path,
                                absl::Duration step_timeout) {
  // As any client: the socket identifies us as the agent's own user, an operator.
  std::unique_ptr<v1::Agent::Stub> agent = v1::Agent::NewStub(
      grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials()));
  std::ostringstream out;
  const spec::ApplyOptions options{.step_timeout = step_timeout};
  absl::Status applied = spec::ApplyConfig(*agent, file, options, out);
  for (absl::string_view line : absl::StrSplit(out.str(), '\n', absl::SkipEmpty())) {
    spdlog::info("config {}: {}", file.path, std::string(line));
  }
  return applied;
}

}  // namespace corral::agent
