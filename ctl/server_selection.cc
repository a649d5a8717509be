#include "ctl/server_selection.h"

#include <algorithm>
#include <iostream>

#include "ctl/exit_codes.h"
#include "spec/config_order.h"

namespace corral::ctl {

int ForEachServer(CommandContext& ctx, const std::string& verb,
                  const std::vector<std::string>& names, bool all,
                  const std::function<int(const std::string&)>& one, bool reverse_dependencies) {
  if (all == !names.empty()) {
    std::cerr << "corralctl: " << verb << ": give server names or --all"
              << (all ? ", not both" : "") << "\n";
    return kExitUsage;
  }
  std::vector<std::string> targets = names;
  if (all) {
    v1::ListResponse response;
    absl::Status status =
        ctx.agent.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, ctx.Deadline());
    if (!status.ok()) return ReportRpcError(ctx, verb + " --all", status);
    // Dependencies first (spec/config_order.h); a stop or removal goes the other way, so no
    // server is left running without what it depends on. A cycle (possible only between specs
    // started one by one) keeps the agent's order.
    std::vector<v1::ServerSpec> specs;
    for (const v1::Server& server : response.servers()) specs.push_back(server.spec());
    absl::StatusOr<std::vector<size_t>> order = spec::DependencyOrder(specs);
    for (size_t i = 0; i < specs.size(); ++i) {
      targets.push_back(specs[order.ok() ? (*order)[i] : i].name());
    }
    if (reverse_dependencies) std::reverse(targets.begin(), targets.end());
  }
  int code = kExitOk;
  for (const std::string& name : targets) {
    const int result = one(name);
    if (code == kExitOk) code = result;
  }
  return code;
}

}  // namespace corral::ctl
