#include "ctl/apply_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "ctl/exit_codes.h"
#include "spec/config_apply.h"
#include "spec/config_export.h"
#include "spec/config_file.h"

namespace corral::ctl {

int ApplyCommand(CommandContext& ctx, const ApplyFlags& flags) {
  absl::StatusOr<spec::ConfigFile> file = spec::LoadConfigFile(flags.file);
  if (!file.ok()) {
    std::cerr << "corralctl: apply: " << file.status().message() << "\n";
    return file.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailed;
  }
  absl::StatusOr<v1::Agent::StubInterface*> agent = ctx.agent.AgentStub();
  if (!agent.ok()) return ReportRpcError(ctx, "apply", agent.status());
  const spec::ApplyOptions options{.dry_run = flags.dry_run,
                                   .prune = flags.prune,
                                   .step_timeout = absl::FromChrono(ctx.timeout)};
  absl::Status applied = spec::ApplyConfig(**agent, *file, options, std::cout);
  std::cout.flush();
  if (applied.ok()) return kExitOk;
  if (applied.code() == absl::StatusCode::kFailedPrecondition) {
    std::cerr << "corralctl: apply: " << applied.message() << "\n";
    return kExitFailed;
  }
  return ReportRpcError(ctx, "apply", applied);
}

int ExportCommand(CommandContext& ctx) {
  v1::ListResponse response;
  if (absl::Status s =
          ctx.agent.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, ctx.Deadline());
      !s.ok()) {
    return ReportRpcError(ctx, "export", s);
  }
  std::vector<v1::ServerSpec> specs;
  for (const v1::Server& server : response.servers()) specs.push_back(server.spec());
  std::cout << spec::ExportConfig(specs);
  return kExitOk;
}

}  // namespace corral::ctl
