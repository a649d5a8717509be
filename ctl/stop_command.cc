#include "ctl/stop_command.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "corral/v1/stats.grpc.pb.h"
#include "ctl/exit_codes.h"
#include "ctl/server_format.h"
#include "spec/spec_defaults.h"

namespace corral::ctl {
namespace {

// Beyond the stop timeout, for the agent to reap and answer.
constexpr absl::Duration kStopAnswerMargin = absl::Seconds(10);

// The connections `name` holds now, or 0 when unknown (a command server keeps no stats).
uint64_t ActiveConnections(CommandContext& ctx, const std::string& name) {
  v1::GetStatsRequest request;
  request.set_name(name);
  v1::StatsReport report;
  if (!ctx.agent.Call(&v1::Stats::Stub::GetStats, request, &report, ctx.Deadline()).ok()) return 0;
  return report.servers_size() == 1 ? report.servers(0).active_connections() : 0;
}

}  // namespace

int StopCommand(CommandContext& ctx, const std::string& name, uint32_t timeout_ms) {
  const std::string what = absl::StrCat("stop \"", name, "\"");
  v1::GetRequest get;
  get.set_name(name);
  v1::GetResponse current;
  absl::Status status = ctx.agent.Call(&v1::Agent::Stub::Get, get, &current, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, what, status);
  const uint32_t stop_ms = timeout_ms != 0 ? timeout_ms : current.server().spec().stop_timeout_ms();
  if (current.server().pid() != 0) {
    if (const uint64_t connections = ActiveConnections(ctx, name); connections > 0) {
      // The server lets connections finish for the drain time, then cuts them (spec_defaults.h).
      std::cerr << "stopping \"" << name << "\": draining " << connections
                << (connections == 1 ? " connection" : " connections") << ", up to "
                << absl::StrFormat("%g", spec::DrainTimeoutMs(stop_ms) / 1000.0) << " s\n";
    }
  }

  v1::StopRequest request;
  request.set_name(name);
  request.set_timeout_ms(timeout_ms);
  v1::StopResponse response;
  const absl::Time deadline =
      std::max(ctx.Deadline(), absl::Now() + absl::Milliseconds(stop_ms) + kStopAnswerMargin);
  status = ctx.agent.Call(&v1::Agent::Stub::Stop, request, &response, deadline);
  if (!status.ok()) return ReportRpcError(ctx, what, status);
  if (ctx.json) {
    PrintJson(response);
  } else {
    std::cout << "stopped \"" << name << "\": " << StateLabel(response.server().state()) << "\n";
  }
  return kExitOk;
}

}  // namespace corral::ctl
