#include "ctl/commands.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ctl/exit_codes.h"
#include "ctl/server_format.h"
#include "spec/field_flags.h"

namespace corral::ctl {

void PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
  if (json.empty() || json.back() != '\n') std::cout << "\n";
}

namespace {

std::string Quoted(const std::string& name) { return absl::StrCat("\"", name, "\""); }

// Prints the server after start/restart; a FAILED server is an error (exit 1) with its reason.
// `verb` is the command ("start"), `done` its past tense ("started").
int ReportStarted(const CommandContext& ctx, const std::string& verb, const std::string& done,
                  const v1::Server& server, const google::protobuf::Message& response) {
  if (ctx.json) PrintJson(response);
  if (server.state() == v1::STATE_FAILED || server.state() == v1::STATE_FATAL ||
      server.state() == v1::STATE_BACKOFF) {
    std::cerr << "corralctl: " << verb << " " << Quoted(server.spec().name()) << ": "
              << server.reason()
              << (server.state() == v1::STATE_BACKOFF ? " (BACKOFF: it will be tried again)" : "")
              << "\n";
    return kExitFailed;
  }
  if (!ctx.json) {
    std::cout << done << " " << Quoted(server.spec().name()) << ": " << StateLabel(server.state());
    if (!server.bound_address().empty()) std::cout << " on " << server.bound_address();
    if (server.pid() != 0) std::cout << " (pid " << server.pid() << ")";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

int ReportRpcError(const CommandContext& ctx, const std::string& what, const absl::Status& status) {
  int code = ExitCodeFor(status);
  std::string message(status.message());
  if (code == kExitPermission && status.code() == absl::StatusCode::kUnauthenticated) {
    message = absl::StrCat(message, " (docs/remote.md: tokens and contexts)");
  } else if (code == kExitUnreachable) {
    message =
        absl::StrCat("cannot reach corral-agent at ", ctx.agent.target(), " (", message,
                     "); is it running? start it with `corral-agent --daemon` or pass --agent",
                     absl::StartsWith(ctx.agent.target(), "unix")
                         ? ""
                         : ". An agent's TCP port speaks TLS only: pass --tls-ca (docs/remote.md)");
  }
  std::cerr << "corralctl: " << what << ": " << message << "\n";
  return code;
}

int StartCommand(CommandContext& ctx, const v1::ServerSpec& spec) {
  v1::StartRequest request;
  *request.mutable_spec() = spec;
  v1::StartResponse response;
  absl::Status status = ctx.agent.Call(&v1::Agent::Stub::Start, request, &response, ctx.Deadline());
  if (!status.ok()) {
    // The agent's validation names spec fields; the user typed flags.
    return ReportRpcError(ctx, "start " + Quoted(spec.name()),
                          absl::Status(status.code(), spec::InFlagTerms(status.message())));
  }
  return ReportStarted(ctx, "start", "started", response.server(), response);
}

int RestartCommand(CommandContext& ctx, const std::string& name) {
  v1::RestartRequest request;
  request.set_name(name);
  v1::RestartResponse response;
  absl::Status status =
      ctx.agent.Call(&v1::Agent::Stub::Restart, request, &response, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, "restart " + Quoted(name), status);
  return ReportStarted(ctx, "restart", "restarted", response.server(), response);
}

int RemoveCommand(CommandContext& ctx, const std::string& name, bool keep_logs) {
  v1::RemoveRequest request;
  request.set_name(name);
  request.set_keep_logs(keep_logs);
  v1::RemoveResponse response;
  absl::Status status =
      ctx.agent.Call(&v1::Agent::Stub::Remove, request, &response, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, "rm " + Quoted(name), status);
  if (ctx.json) {
    PrintJson(response);
  } else {
    std::cout << "removed " << Quoted(name) << "\n";
  }
  return kExitOk;
}

int ListCommand(CommandContext& ctx) {
  v1::ListResponse response;
  absl::Status status =
      ctx.agent.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, "ls", status);
  if (ctx.json) {
    PrintJson(response);
  } else {
    std::vector<v1::Server> servers(response.servers().begin(), response.servers().end());
    std::cout << FormatServerTable(servers, absl::Now());
  }
  return kExitOk;
}

int GetCommand(CommandContext& ctx, const std::string& name) {
  v1::GetRequest request;
  request.set_name(name);
  v1::GetResponse response;
  absl::Status status = ctx.agent.Call(&v1::Agent::Stub::Get, request, &response, ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, "get " + Quoted(name), status);
  if (ctx.json) {
    PrintJson(response);
  } else {
    std::cout << FormatServerDetail(response.server(), absl::Now());
  }
  return kExitOk;
}

int LogsCommand(CommandContext& ctx, const std::string& name, uint32_t lines, bool follow) {
  v1::TailLogsRequest request;
  request.set_name(name);
  request.set_lines(lines);
  request.set_follow(follow);
  v1::LogLines message;
  // Following has no end; only the connection attempt is bounded then.
  absl::Status status = ctx.agent.Stream(
      &v1::Agent::Stub::TailLogs, request, &message,
      [&] {
        for (const std::string& line : message.lines()) std::cout << line << "\n";
        std::cout.flush();
        return true;
      },
      follow ? absl::InfiniteFuture() : ctx.Deadline());
  if (!status.ok()) return ReportRpcError(ctx, "logs " + Quoted(name), status);
  return kExitOk;
}

int EventsCommand(CommandContext& ctx, const std::string& name, uint32_t history, bool follow) {
  v1::WatchEventsRequest request;
  request.set_name(name);
  request.set_history(history);
  request.set_history_only(!follow);
  v1::Event event;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  // With !follow the stream ends after the history by itself.
  absl::Status status = ctx.agent.Stream(&v1::Agent::Stub::WatchEvents, request, &event, [&] {
    if (ctx.json) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(event, &json, options);
      std::cout << json << "\n";
    } else {
      std::cout << FormatEvent(event) << "\n";
    }
    std::cout.flush();
    return true;
  });
  if (!status.ok())
    return ReportRpcError(ctx, name.empty() ? "events" : "events " + Quoted(name), status);
  return kExitOk;
}

}  // namespace corral::ctl
