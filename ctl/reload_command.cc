#include "ctl/reload_command.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ctl/exit_codes.h"
#include "ctl/instance_format.h"

namespace corral::ctl {

void AddReloadGateFlags(CLI::App& reload, v1::ReloadRequest& gates) {
  reload.add_option_function<uint32_t>(
      "--check-ms", [&gates](uint32_t v) { gates.set_check_ms(v); },
      "watch each new instance this long once ready; roll back on a breach (0: no check)");
  reload.add_option_function<double>(
      "--max-error-rate", [&gates](double v) { gates.set_max_error_rate(v); },
      "roll back when a new instance's errors per request in the check exceed this (0.01: 1 %)");
  reload.add_option_function<uint32_t>(
      "--max-p99-ms", [&gates](uint32_t v) { gates.set_max_p99_ms(v); },
      "roll back when a new instance's p99 latency in the check exceeds this");
  reload.add_option_function<uint32_t>(
      "--min-requests", [&gates](uint32_t v) { gates.set_min_requests(v); },
      "fewer requests in the check are not judged (default: the spec's, else 20)");
  reload.add_flag_function(
      "--require-requests", [&gates](int64_t n) { gates.set_require_requests(n > 0); },
      "fewer than --min-requests requests in the check roll back instead of passing");
}

int ReloadCommand(CommandContext& ctx, const std::string& name,
                  const std::vector<std::string>& command, const v1::ReloadRequest& gates) {
  const std::string what = absl::StrCat("reload \"", name, "\"");
  v1::ReloadRequest request = gates;
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
