#include "ctl/reload_command.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ctl/exit_codes.h"
#include "ctl/instance_format.h"

namespace corral::ctl {

int ReloadCommand(CommandContext& ctx, const std::string& name,
                  const std::vector<std::string>& command) {
  const std::string what = absl::StrCat("reload \"", name, "\"");
  v1::ReloadRequest request;
  request.set_name(name);
  if (!command.empty()) {
    // The server's spec as it is, with the new program: everything else stays.
    v1::GetRequest get;
    get.set_name(name);
    v1::GetResponse current;
    if (absl::Status s = ctx.agent.Call(&v1::Agent::Stub::Get, get, &current, ctx.Deadline());
        !s.ok()) {
      return ReportRpcError(ctx, what, s);
    }
    if (current.server().spec().command_size() == 0) {
      std::cerr << "corralctl: " << what
                << ": a program after -- applies to command servers only\n";
      return kExitUsage;
    }
    *request.mutable_spec() = current.server().spec();
    request.mutable_spec()->clear_command();
    for (const std::string& arg : command) request.mutable_spec()->add_command(arg);
  }
  v1::ReloadResponse response;
  const absl::Time start = absl::Now();
  absl::Status status =
      ctx.agent.Call(&v1::Agent::Stub::Reload, request, &response, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, what, status);
  if (ctx.json) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(response, &json, options);
    std::cout << json;
    return kExitOk;
  }
  std::cout << "reloaded \"" << name << "\" in " << absl::ToInt64Milliseconds(absl::Now() - start)
            << " ms: " << ServerStateLabel(response.server()) << "\n";
  return kExitOk;
}

}  // namespace corral::ctl
