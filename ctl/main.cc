// corralctl: the terminal client of corral-agent's gRPC API. One command and its flags; the
// main flags (--agent, --json, --timeout) anywhere on the line.
#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "base/agent_home.h"
#include "base/version.h"
#include "ctl/apply_command.h"
#include "ctl/command_line.h"
#include "ctl/commands.h"
#include "ctl/contexts.h"
#include "ctl/exit_codes.h"
#include "ctl/many_agents.h"
#include "ctl/reload_command.h"
#include "ctl/scale_command.h"
#include "ctl/server_selection.h"
#include "ctl/stats_commands.h"
#include "ctl/stop_command.h"
#include "ctl/top_view.h"
#include "ctl/update_command.h"
#include "spec/field_flags.h"
#include "spec/spec_flags.h"

namespace {

// "unix:/path", "/path" (a unix socket) or "HOST:PORT".
std::string ChannelTarget(const std::string& agent) {
  if (absl::StartsWith(agent, "unix:")) return agent;
  if (absl::StartsWith(agent, "/") || absl::StartsWith(agent, ".")) return "unix:" + agent;
  return agent;
}

// The flags that say which agent (or agents) a command talks to, and how (docs/remote.md).
struct Target {
  CLI::Option* agent = nullptr;  // --agent, given or not
  std::string context;           // --context NAME
  corral::ctl::AgentCredentials credentials;
  std::vector<std::string> agents;  // --agents a,b
  bool all_agents = false;          // ls/stats --all
};

// The agent of a single-agent command: --agent with the credential flags, else --context (or
// the contexts file's current one) with the flags overriding what it names; nullopt to keep the
// default unix socket. An error is printed and its exit code returned through `exit_code`.
std::optional<corral::ctl::AgentContext> ChosenContext(const Target& target, int* exit_code) {
  using namespace corral;
  if (target.agent->count() > 0 && target.context.empty()) return std::nullopt;
  if (target.agent->count() > 0) {
    std::cerr << "corralctl: --agent and --context name the agent twice; give one\n";
    *exit_code = ctl::kExitUsage;
    return std::nullopt;
  }
  absl::StatusOr<ctl::Contexts> contexts = ctl::LoadContexts(ctl::DefaultContextsPath());
  if (!contexts.ok()) {
    std::cerr << "corralctl: " << contexts.status().message() << "\n";
    *exit_code = ctl::kExitUsage;
    return std::nullopt;
  }
  const std::string name = target.context.empty() ? contexts->current : target.context;
  if (name.empty()) return std::nullopt;
  absl::StatusOr<ctl::AgentContext> chosen = contexts->Find(name);
  if (!chosen.ok()) {
    std::cerr << "corralctl: --context " << name << ": " << chosen.status().message() << "\n";
    *exit_code = ctl::kExitUsage;
    return std::nullopt;
  }
  const ctl::AgentCredentials& flags = target.credentials;
  for (const auto& [flag, into] : {std::pair{&flags.tls_ca, &chosen->credentials.tls_ca},
                                   std::pair{&flags.token_file, &chosen->credentials.token_file},
                                   std::pair{&flags.tls_cert, &chosen->credentials.tls_cert},
                                   std::pair{&flags.tls_key, &chosen->credentials.tls_key}}) {
    if (!flag->empty()) *into = *flag;
  }
  return *std::move(chosen);
}

// ls, stats or top (with `top` set) on --agents / --all.
int ManyAgents(const Target& target, bool stats, const corral::ctl::ManyAgentsOptions& options,
               const corral::ctl::TopOptions* top) {
  using namespace corral;
  absl::StatusOr<ctl::Contexts> contexts = ctl::LoadContexts(ctl::DefaultContextsPath());
  absl::StatusOr<std::vector<ctl::AgentContext>> agents =
      contexts.ok() ? ctl::SelectAgents(*contexts, target.agents, target.all_agents)
                    : contexts.status();
  if (!agents.ok()) {
    std::cerr << "corralctl: " << agents.status().message() << "\n";
    return ctl::kExitUsage;
  }
  if (top != nullptr) {
    ctl::ExitOnInterrupt();
    return ctl::TopManyCommand(*agents, options, *top);
  }
  return stats ? ctl::StatsManyCommand(*agents, options) : ctl::ListManyCommand(*agents, options);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace corral;
  CLI::App app{"corralctl: control and watch corral-agent.", "corralctl"};
  app.footer(ctl::kExitCodesHelp);
  app.require_subcommand(1);
  // The main flags also after the command (`ls --json`); words nothing takes are reported by
  // CheckLeftovers with a suggestion. Both are inherited by the commands added below.
  app.fallthrough();
  app.allow_extras();
  app.set_version_flag("-V,--version", std::string("corralctl ") + base::kVersion);

  const std::string default_home = base::DefaultHome();
  std::string agent = "unix:" + base::SocketPath(default_home);
  bool json = false;
  int timeout_s = 60;
  CLI::Option* agent_option =
      app.add_option("--agent", agent, "agent address: unix:PATH, a socket path, or HOST:PORT")
          ->capture_default_str();
  Target target;
  target.agent = agent_option;
  app.add_option("--context", target.context,
                 "the agent named NAME in ~/.config/corral/config.yaml ($CORRAL_CONFIG)");
  app.add_option("--tls-ca", target.credentials.tls_ca,
                 "TLS to a HOST:PORT agent, verified with this PEM CA");
  app.add_option("--token-file", target.credentials.token_file,
                 "send the bearer token in FILE (mode 0600; needs TLS)");
  app.add_option("--tls-cert", target.credentials.tls_cert,
                 "client certificate (PEM) for an agent with --tls-client-ca");
  app.add_option("--tls-key", target.credentials.tls_key, "private key of --tls-cert");
  app.add_option("--agents", target.agents, "ls, stats, top: these contexts (a,b), one table")
      ->delimiter(',');
  app.add_flag("--json", json, "print the API's JSON instead of tables (anywhere on the line)");
  app.add_option("--timeout", timeout_s, "give up on the agent after this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  std::string name;
  std::vector<std::string> names;
  bool all = false;
  uint32_t lines = 10;
  double stop_timeout_s = 0;
  uint32_t stop_timeout_ms = 0;
  bool follow = false;
  auto add_names = [&](CLI::App* command) {
    command->add_option("name", names, "server names");
    command->add_flag("--all", all, "every server the agent has");
  };

  CLI::App* start = app.add_subcommand("start", "add a server and start it");
  start->add_option("name", name, "server name")->required();
  // The spec's fields, declared once with corral-server's standalone flags.
  spec::SpecFlags spec_flags(*start, spec::SpecFlags::Fields::kServerAndSupervision);

  CLI::App* stop = app.add_subcommand("stop", "stop servers (SIGTERM, then SIGKILL)");
  add_names(stop);
  CLI::Option* stop_timeout =
      stop->add_option("--timeout", stop_timeout_s,
                       "seconds connections get before SIGKILL, instead of the spec's "
                       "stop timeout (the server cuts them after a fifth less)")
          ->check(CLI::Range(0.001, 600.0));
  stop->add_option("--timeout-ms", stop_timeout_ms, "the same in milliseconds")
      ->excludes(stop_timeout);

  CLI::App* restart = app.add_subcommand("restart", "stop servers if they run, then start them");
  add_names(restart);
  std::vector<std::string> reload_command;
  CLI::App* reload = app.add_subcommand(
      "reload",
      "replace a running server's processes without a gap: each new one takes over once ready");
  reload->add_option("name", name, "server name")->required();
  reload->add_option("command", reload_command,
                     "command server: the new program and its arguments, after --");
  v1::ReloadRequest reload_gates;
  ctl::AddReloadGateFlags(*reload, reload_gates);
  ctl::ScaleArgs scale_args;
  CLI::App* scale = ctl::AddScaleCommand(app, scale_args);

  CLI::App* rm = app.add_subcommand("rm", "stop servers and forget them")->alias("remove");
  add_names(rm);
  bool keep_logs = false;
  rm->add_flag("--keep-logs", keep_logs, "keep each server's directory (its logs)");

  CLI::App* ls = app.add_subcommand("ls", "list every server")->alias("list");
  ls->add_flag("--all", target.all_agents, "of every agent in the contexts file, one table");
  CLI::App* get = app.add_subcommand("get", "show one server in detail, every field effective");
  get->add_option("name", name, "server name")->required();

  CLI::App* logs =
      app.add_subcommand("logs", "print a server's log (timestamped stdout and stderr)");
  logs->add_option("name", name, "server name")->required();
  logs->add_option("-n,--lines", lines, "how many of the last lines")->capture_default_str();
  logs->add_flag("-f,--follow", follow, "keep printing new lines until Ctrl-C");

  CLI::App* events = app.add_subcommand("events", "print supervision events until Ctrl-C");
  events->add_option("name", name, "only this server's");
  uint32_t history = 0;
  bool no_follow = false;
  events->add_option("-n,--history", history,
                     "first print the last N past events (the agent keeps 1000)");
  events->add_flag("--no-follow", no_follow, "exit after the past events");

  bool per_worker = false;
  uint32_t interval_ms = 1000, count = 0;
  CLI::App* stats_cmd =
      app.add_subcommand("stats", "live statistics of a server (every server without NAME)");
  stats_cmd->add_option("name", name, "server name");
  stats_cmd->add_flag("--workers", per_worker, "also list every worker slot");
  stats_cmd->add_flag("--all", target.all_agents,
                      "every server of every agent in the contexts file, one table");
  CLI::App* watch = app.add_subcommand("watch", "a line of live statistics per interval");
  watch->add_option("name", name, "server name (every server when left out)");
  // Checked here too, so that a bad value is refused in the flag's name, not the API field's.
  watch->add_option("-i,--interval-ms", interval_ms, "milliseconds between lines")
      ->capture_default_str()
      ->check(CLI::Range(100u, 3600000u));
  watch->add_option("-c,--count", count, "stop after this many samples (0: until Ctrl-C)");
  CLI::App* top = app.add_subcommand("top", "full-screen live view of every server (q quits)");
  top->add_option("-i,--interval-ms", interval_ms, "milliseconds between refreshes")
      ->capture_default_str()
      ->check(CLI::Range(100u, 3600000u));
  top->add_option("-c,--count", count, "exit after this many refreshes (0: until q)");
  top->add_flag("--all", target.all_agents, "every agent in the contexts file, one screen");

  // Config files (issue 23, docs/config.md).
  ctl::ApplyFlags apply_flags;
  CLI::App* apply = app.add_subcommand(
      "apply", "make the agent run what a config file says: check it whole, print the plan, apply");
  apply->add_option("-f,--file", apply_flags.file, "the config file (YAML)")->required();
  apply->add_flag("--dry-run", apply_flags.dry_run, "print the plan only");
  apply->add_flag("--prune", apply_flags.prune, "also remove servers the file does not name");
  // Live update (issue 22 item 4): the start flags, each one given changing its field.
  CLI::App* update = app.add_subcommand(
      "update", "change fields of a server's spec: at once, or through a reload when needed");
  update->add_option("name", name, "server name")->required();
  spec::SpecFlags update_flags(*update, spec::SpecFlags::Fields::kServerAndSupervision);
  bool update_dry_run = false;
  update->add_flag("--dry-run", update_dry_run, "print what would change and how, change nothing");
  CLI::App* export_cmd =
      app.add_subcommand("export", "print the agent's servers as a config file for apply");

  const std::vector<std::string> args(argv + 1, argv + argc);
  if (std::optional<int> answered = ctl::AnswerBeforeParse(app, args)) return *answered;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ctl::ReportParseError(app, e);
  }
  if (std::optional<int> leftover = ctl::CheckLeftovers(app)) return *leftover;

  if (!target.agents.empty() || target.all_agents) {
    if (!*ls && !*stats_cmd && !*top) {
      std::cerr << "corralctl: --agents and --all (of agents) are for ls, stats and top\n";
      return ctl::kExitUsage;
    }
    const ctl::TopOptions top_options{.interval_ms = interval_ms, .count = count};
    return ManyAgents(target, static_cast<bool>(*stats_cmd),
                      {.json = json, .timeout = std::chrono::seconds(timeout_s)},
                      static_cast<bool>(*top) ? &top_options : nullptr);
  }
  int context_error = ctl::kExitOk;
  std::optional<ctl::AgentContext> context = ChosenContext(target, &context_error);
  if (context_error != ctl::kExitOk) return context_error;
  // The default home must be ours (a planted one is refused); an address the operator named is
  // used as named.
  ctl::CommandContext ctx(context ? context->address : ChannelTarget(agent),
                          context || agent_option->count() > 0 ? "" : default_home,
                          context ? context->credentials : target.credentials);
  ctx.json = json;
  ctx.timeout = std::chrono::seconds(timeout_s);

  if (*start) {
    absl::StatusOr<v1::ServerSpec> spec = spec_flags.Build(name);
    if (!spec.ok()) {
      std::cerr << "corralctl: start \"" << name
                << "\": " << spec::InFlagTerms(spec.status().message()) << "\n";
      return ctl::kExitUsage;
    }
    for (const std::string& note : spec_flags.notes()) {
      std::cerr << "corralctl: start \"" << name << "\": " << note << "\n";
    }
    return ctl::StartCommand(ctx, *spec);
  }
  if (*stop) {
    if (stop_timeout->count() > 0) stop_timeout_ms = static_cast<uint32_t>(stop_timeout_s * 1000);
    return ctl::ForEachServer(
        ctx, "stop", names, all,
        [&](const std::string& server) { return ctl::StopCommand(ctx, server, stop_timeout_ms); },
        /*reverse_dependencies=*/true);
  }
  if (*restart) {
    return ctl::ForEachServer(ctx, "restart", names, all, [&](const std::string& server) {
      return ctl::RestartCommand(ctx, server);
    });
  }
  if (*rm) {
    return ctl::ForEachServer(
        ctx, "rm", names, all,
        [&](const std::string& server) { return ctl::RemoveCommand(ctx, server, keep_logs); },
        /*reverse_dependencies=*/true);
  }
  if (*reload) return ctl::ReloadCommand(ctx, name, reload_command, reload_gates);
  if (*apply) return ctl::ApplyCommand(ctx, apply_flags);
  if (*update) return ctl::UpdateCommand(ctx, name, *update, update_flags, update_dry_run);
  if (*export_cmd) return ctl::ExportCommand(ctx);
  if (*scale) return ctl::ScaleCommand(ctx, scale_args);
  if (*ls) return ctl::ListCommand(ctx);
  if (*get) return ctl::GetCommand(ctx, name);
  if (*stats_cmd) return ctl::StatsCommand(ctx, name, per_worker);
  // The rest follow until interrupted: Ctrl-C ends them with kExitInterrupted.
  ctl::ExitOnInterrupt();
  if (*top) return ctl::TopCommand(ctx, {.interval_ms = interval_ms, .count = count});
  if (*logs) return ctl::LogsCommand(ctx, name, lines, follow);
  if (*events) return ctl::EventsCommand(ctx, name, history, !no_follow);
  if (*watch) return ctl::WatchCommand(ctx, name, interval_ms, count);
  return ctl::kExitUsage;
}
