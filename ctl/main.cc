// corralctl: the terminal client of corral-agent's gRPC API. One command and its flags; the
// main flags (--agent, --json, --timeout) anywhere on the line.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "base/agent_home.h"
#include "base/version.h"
#include "ctl/command_line.h"
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/reload_command.h"
#include "ctl/scale_command.h"
#include "ctl/server_selection.h"
#include "ctl/stats_commands.h"
#include "ctl/stop_command.h"
#include "ctl/top_view.h"
#include "spec/field_flags.h"
#include "spec/spec_flags.h"

namespace {

// "unix:/path", "/path" (a unix socket) or "HOST:PORT".
std::string ChannelTarget(const std::string& agent) {
  if (absl::StartsWith(agent, "unix:")) return agent;
  if (absl::StartsWith(agent, "/") || absl::StartsWith(agent, ".")) return "unix:" + agent;
  return agent;
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

  const std::vector<std::string> args(argv + 1, argv + argc);
  if (std::optional<int> answered = ctl::AnswerBeforeParse(app, args)) return *answered;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ctl::ReportParseError(app, e);
  }
  if (std::optional<int> leftover = ctl::CheckLeftovers(app)) return *leftover;

  // The default home must be ours (a planted one is refused); an address the operator named is
  // used as named.
  ctl::CommandContext ctx(ChannelTarget(agent), agent_option->count() == 0 ? default_home : "");
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
    return ctl::ForEachServer(ctx, "stop", names, all, [&](const std::string& server) {
      return ctl::StopCommand(ctx, server, stop_timeout_ms);
    });
  }
  if (*restart) {
    return ctl::ForEachServer(ctx, "restart", names, all, [&](const std::string& server) {
      return ctl::RestartCommand(ctx, server);
    });
  }
  if (*rm) {
    return ctl::ForEachServer(ctx, "rm", names, all, [&](const std::string& server) {
      return ctl::RemoveCommand(ctx, server, keep_logs);
    });
  }
  if (*reload) return ctl::ReloadCommand(ctx, name, reload_command, reload_gates);
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
