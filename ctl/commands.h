// The corralctl commands. Each talks to the agent through one stub, prints for a person (or
// the proto's JSON mapping with --json) on stdout, prints one error line on stderr, and returns
// the exit code from ctl/exit_codes.h.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "corral/v1/agent.pb.h"
#include "ctl/agent_client.h"

namespace corral::ctl {

struct CommandContext {
  // `owned_home`: see AgentClient (the default home, or empty for an address the operator named).
  CommandContext(std::string agent_address, std::string owned_home,
                 AgentCredentials credentials = {})
      : agent(std::move(agent_address), std::move(owned_home), std::move(credentials)) {}

  // When a call started now must have its answer.
  absl::Time Deadline() const { return absl::Now() + absl::FromChrono(timeout); }

  AgentClient agent;
  bool json = false;
  std::chrono::seconds timeout{60};
};

// Prints a failed call as `corralctl: WHAT: MESSAGE` (an unreachable agent gets what to do
// about it) and returns its exit code. `what` is the action and its object, as `start "web"`.
int ReportRpcError(const CommandContext& ctx, const std::string& what, const absl::Status& status);

// `message` in the proto's JSON mapping, every field shown, on stdout (--json).
void PrintJson(const google::protobuf::Message& message);

int StartCommand(CommandContext& ctx, const v1::ServerSpec& spec);
int RestartCommand(CommandContext& ctx, const std::string& name);
// Deletes the server's directory (its logs) too, unless `keep_logs`.
int RemoveCommand(CommandContext& ctx, const std::string& name, bool keep_logs = false);
int ListCommand(CommandContext& ctx);
int GetCommand(CommandContext& ctx, const std::string& name);
// The last `lines` lines of the server's log, then with `follow` new ones until interrupted.
int LogsCommand(CommandContext& ctx, const std::string& name, uint32_t lines, bool follow);
// Supervision events (of `name`, or of every server when empty): the last `history` past ones,
// then, with `follow`, new ones until interrupted; one line each, or one JSON object per line
// with --json.
int EventsCommand(CommandContext& ctx, const std::string& name, uint32_t history = 0,
                  bool follow = true);

}  // namespace corral::ctl
