#include "ctl/scale_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ctl/exit_codes.h"
#include "ctl/instance_format.h"

namespace corral::ctl {

CLI::App* AddScaleCommand(CLI::App& app, ScaleArgs& args) {
  CLI::App* scale = app.add_subcommand(
      "scale", "change how many instances (or pool workers, or hubs) serve, while serving");
  scale->add_option("name", args.name, "server name")->required();
  scale->add_option("count", args.count, "instances (or pool size, or hubs)")->required();
  CLI::Option* pool =
      scale->add_flag("--pool", args.pool, "fork/thread: the pool size (a rolling reload)");
  scale->add_flag("--hubs", args.hubs, "coroutine: the hub count (a rolling reload)")
      ->excludes(pool);
  return scale;
}

int ScaleCommand(CommandContext& ctx, const ScaleArgs& args) {
  const std::string what = absl::StrCat("scale \"", args.name, "\"");
  v1::ScaleRequest request;
  request.set_name(args.name);
  std::string unit = "instance(s)";
  if (args.pool) {
    request.set_pool_size(args.count);
    unit = "pool workers";
  } else if (args.hubs) {
    request.set_hubs(args.count);
    unit = "hubs";
  } else {
    request.set_instances(args.count);
  }
  v1::ScaleResponse response;
  const absl::Time start = absl::Now();
  absl::Status status = ctx.agent.Call(&v1::Agent::Stub::Scale, request, &response, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, what, status);
  if (ctx.json) {
    PrintJson(response);
    return kExitOk;
  }
  std::cout << "scaled \"" << args.name << "\" to " << args.count << " " << unit << " in "
            << absl::ToInt64Milliseconds(absl::Now() - start)
            << " ms: " << ServerStateLabel(response.server()) << "\n";
  return kExitOk;
}

}  // namespace corral::ctl
