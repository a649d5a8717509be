#include "ctl/many_agents.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "ctl/agent_client.h"
#include "ctl/exit_codes.h"
#include "ctl/server_format.h"
#include "ctl/stats_format.h"
#include "ctl/top_view.h"

namespace corral::ctl {
namespace {

// One agent's answer: `response` when `status` is OK.
template <typename Response>
struct Answer {
  absl::Status status;
  Response response;
};

// Calls `method` on every agent at once; answers in the agents' order.
template <typename Stub, typename Request, typename Response>
std::vector<Answer<Response>> AskAll(const std::vector<AgentContext>& agents,
                                     grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                  const Request&, Response*),
                                     const Request& request, const ManyAgentsOptions& options) {
  std::vector<Answer<Response>> answers(agents.size());
  std::vector<std::thread> threads;
  const absl::Time deadline = absl::Now() + absl::FromChrono(options.timeout);
  for (size_t i = 0; i < agents.size(); ++i) {
    threads.emplace_back([&, i] {
      AgentClient client(agents[i].address, "", agents[i].credentials);
      answers[i].status = client.Call(method, request, &answers[i].response, deadline);
    });
  }
  for (std::thread& thread : threads) thread.join();
  return answers;
}

// `table` (a header line, then rows) with the agent column in front: `agents[row]` per row.
std::string WithAgentColumn(const std::string& table, const std::vector<std::string>& agents,
                            const std::vector<std::pair<std::string, std::string>>& errors) {
  size_t width = 5;  // "AGENT"
  for (const std::string& name : agents) width = std::max(width, name.size());
  for (const auto& [name, error] : errors) width = std::max(width, name.size());
  auto pad = [width](const std::string& name) {
    return name + std::string(width - name.size() + 2, ' ');
  };
  std::string out;
  size_t row = 0;
  for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, pad(row == 0 ? "AGENT" : agents[row - 1]), line, "\n");
    ++row;
  }
  for (const auto& [name, error] : errors) absl::StrAppend(&out, pad(name), "error: ", error, "\n");
  return out;
}

std::string Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

// Prints the JSON of every agent's answer, {"NAME": ANSWER | {"error": "..."}}.
template <typename Response>
void PrintJson(const std::vector<AgentContext>& agents,
               const std::vector<Answer<Response>>& answers) {
  std::string out = "{";
  for (size_t i = 0; i < agents.size(); ++i) {
    if (i > 0) out += ",";
    out += "\n  \"" + agents[i].name + "\": ";
    if (answers[i].status.ok()) {
      out += Json(answers[i].response);
    } else {
      out += "{\"error\": \"";
      for (const char c : answers[i].status.message()) {
        if (c == '"' || c == '\\') out += '\\';
        out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
      }
      out += "\"}";
    }
  }
  std::cout << out << "\n}\n";
}

// The errors as rows, and the exit code of the first.
template <typename Response>
int Failures(const std::vector<AgentContext>& agents, const std::vector<Answer<Response>>& answers,
             std::vector<std::pair<std::string, std::string>>* errors) {
  int code = kExitOk;
  for (size_t i = 0; i < agents.size(); ++i) {
    if (answers[i].status.ok()) continue;
    errors->emplace_back(agents[i].name,
                         absl::StrCat(agents[i].address, ": ", answers[i].status.message()));
    if (code == kExitOk) code = ExitCodeFor(answers[i].status);
  }
  return code;
}

}  // namespace

absl::StatusOr<std::vector<AgentContext>> SelectAgents(const Contexts& contexts,
                                                       const std::vector<std::string>& names,
                                                       bool all) {
  if (all) {
    if (contexts.agents.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--all: no agents in ", contexts.path, " (see docs/remote.md)"));
    }
    return contexts.agents;
  }
  std::vector<AgentContext> chosen;
  for (const std::string& name : names) {
    absl::StatusOr<AgentContext> agent = contexts.Find(name);
    if (!agent.ok()) return agent.status();
    chosen.push_back(*std::move(agent));
  }
  return chosen;
}

int ListManyCommand(const std::vector<AgentContext>& agents, const ManyAgentsOptions& options) {
  const auto answers = AskAll(agents, &v1::Agent::Stub::List, v1::ListRequest(), options);
  std::vector<std::pair<std::string, std::string>> errors;
  const int code = Failures(agents, answers, &errors);
  if (options.json) {
    PrintJson(agents, answers);
    return code;
  }
  std::vector<v1::Server> servers;
  std::vector<std::string> owners;
  for (size_t i = 0; i < agents.size(); ++i) {
    for (const v1::Server& server : answers[i].response.servers()) {
      servers.push_back(server);
      owners.push_back(agents[i].name);
    }
  }
  std::cout << WithAgentColumn(FormatServerTable(servers, absl::Now()), owners, errors);
  return code;
}

int StatsManyCommand(const std::vector<AgentContext>& agents, const ManyAgentsOptions& options) {
  const auto answers = AskAll(agents, &v1::Stats::Stub::GetStats, v1::GetStatsRequest(), options);
  std::vector<std::pair<std::string, std::string>> errors;
  const int code = Failures(agents, answers, &errors);
  if (options.json) {
    PrintJson(agents, answers);
    return code;
  }
  std::string table = FormatWatchHeader() + "\n";
  std::vector<std::string> owners;
  for (size_t i = 0; i < agents.size(); ++i) {
    for (const v1::ServerStats& server : answers[i].response.servers()) {
      absl::StrAppend(&table, FormatWatchLine(answers[i].response, server), "\n");
      owners.push_back(agents[i].name);
    }
  }
  std::cout << WithAgentColumn(table, owners, errors);
  return code;
}

int TopManyCommand(const std::vector<AgentContext>& agents, const ManyAgentsOptions& options,
                   const TopOptions& top) {
  ManyAgentsOptions refresh = options;
  refresh.timeout = std::min(options.timeout, std::chrono::seconds(5));  // must not hang
  const TopFetcher fetcher = [&agents, refresh] {
    const auto answers = AskAll(agents, &v1::Stats::Stub::GetStats, v1::GetStatsRequest(), refresh);
    TopFetch fetched;
    for (size_t i = 0; i < agents.size(); ++i) {
      if (!answers[i].status.ok()) {
        if (fetched.status.ok()) {
          fetched.status =
              absl::Status(answers[i].status.code(),
                           absl::StrCat(agents[i].name, ": ", answers[i].status.message()));
        }
        continue;
      }
      for (v1::ServerStats server : answers[i].response.servers()) {
        server.set_name(absl::StrCat(agents[i].name, "/", server.name()));
        fetched.servers.push_back(std::move(server));
      }
    }
    return fetched;
  };
  std::string names;
  for (const AgentContext& agent : agents)
    absl::StrAppend(&names, names.empty() ? "" : ",", agent.name);
  return TopWith(names, fetcher, top, fetcher());
}

}  // namespace corral::ctl
