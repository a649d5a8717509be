#include "ctl/stats_commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

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

std::unique_ptr<v1::Stats::Stub> NewStatsStub(const CommandContext& ctx) {
  return v1::Stats::NewStub(
      grpc::CreateChannel(ctx.agent_address, grpc::InsecureChannelCredentials()));
}

int StatsCommand(CommandContext& ctx, const std::string& name, bool per_worker) {
  std::unique_ptr<v1::Stats::Stub> stub = NewStatsStub(ctx);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + ctx.timeout);
  v1::GetStatsRequest request;
  request.set_name(name);
  request.set_per_worker(per_worker);
  v1::StatsReport report;
  grpc::Status status = stub->GetStats(&context, request, &report);
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
  std::unique_ptr<v1::Stats::Stub> stub = NewStatsStub(ctx);
  grpc::ClientContext context;
  // No deadline: the stream runs until interrupted; an unreachable agent fails at once.
  v1::WatchStatsRequest request;
  request.set_name(name);
  request.set_interval_ms(interval_ms);
  std::unique_ptr<grpc::ClientReader<v1::StatsReport>> reader = stub->WatchStats(&context, request);
  if (!ctx.json) std::cout << FormatWatchHeader() << "\n" << std::flush;
  v1::StatsReport report;
  uint32_t seen = 0;
  while (reader->Read(&report)) {
    if (ctx.json) {
      std::cout << Json(report, false);
    } else {
      for (const v1::ServerStats& s : report.servers()) {
        std::cout << FormatWatchLine(report, s) << "\n";
      }
    }
    std::cout << std::flush;
    if (count > 0 && ++seen >= count) {
      context.TryCancel();
      while (reader->Read(&report)) {
      }
      (void)reader->Finish();
      return kExitOk;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return ReportRpcError(ctx, What("watch", name), status);
  return kExitOk;
}

}  // namespace corral::ctl
