#include "ctl/server_selection.h"

#include <iostream>

#include "ctl/exit_codes.h"

namespace corral::ctl {

int ForEachServer(CommandContext& ctx, const std::string& verb,
                  const std::vector<std::string>& names, bool all,
                  const std::function<int(const std::string&)>& one) {
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
    for (const v1::Server& server : response.servers()) targets.push_back(server.spec().name());
  }
  int code = kExitOk;
  for (const std::string& name : targets) {
    const int result = one(name);
    if (code == kExitOk) code = result;
  }
  return code;
}

}  // namespace corral::ctl
