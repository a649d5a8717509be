#include "ctl/stats_commands.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "ctl/exit_codes.h"
#include "ctl/stats_format.h"

namespace corral::ctl {
namespace {

std::string Json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  if (json.empty() || json.back() != '\n') json += "\n";
  return json;
}

std::string What(const std::string& verb, const std::string& name) {
  return name.empty() ? verb : absl::StrCat(verb, " \"", name, "\"");
}

}  // namespace

int StatsCommand(CommandContext& ctx, const std::string& name, bool per_worker) {
  v1::GetStatsRequest request;
  request.set_name(name);
  request.set_per_worker(per_worker);
  v1::StatsReport report;
  absl::Status status =
      ctx.agent.Call(&v1::Stats::Stub::GetStats, request, &report, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, What("stats", name), status);
  if (ctx.json) {
    std::cout << Json(report, true);
    return kExitOk;
  }
  for (int i = 0; i < report.servers_size(); ++i) {
    if (i > 0) std::cout << "\n";
    std::cout << FormatStatsBlock(report.servers(i));
  }
  return kExitOk;
}

int WatchCommand(CommandContext& ctx, const std::string& name, uint32_t interval_ms,
                 uint32_t count) {
  // No deadline: the stream runs until interrupted; an unreachable agent fails at once.
  v1::WatchStatsRequest request;
  request.set_name(name);
  request.set_interval_ms(interval_ms);
  if (!ctx.json) std::cout << FormatWatchHeader() << "\n" << std::flush;
  v1::StatsReport report;
  uint32_t seen = 0;
  absl::Status status = ctx.agent.Stream(&v1::Stats::Stub::WatchStats, request, &report, [&] {
    if (ctx.json) {
      std::cout << Json(report, false);
    } else {
      for (const v1::ServerStats& s : report.servers()) {
        std::cout << FormatWatchLine(report, s) << "\n";
      }
    }
    std::cout << std::flush;
    return count == 0 || ++seen < count;  // false cancels the stream: enough samples
  });
  if (!status.ok()) return ReportRpcError(ctx, What("watch", name), status);
  return kExitOk;
}

}  // namespace corral::ctl
