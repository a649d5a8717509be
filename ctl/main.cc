// corralctl: the terminal client of corral-agent's gRPC API. Flags, then one command.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "base/agent_home.h"
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/reload_command.h"
#include "ctl/stats_commands.h"
#include "ctl/top_view.h"
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
  CLI::App app{"corralctl: control and watch corral-agent."};
  app.footer(ctl::kExitCodesHelp);
  app.require_subcommand(1);

  const std::string default_home = base::DefaultHome();
  std::string agent = "unix:" + base::SocketPath(default_home);
  bool json = false;
  int timeout_s = 60;
  CLI::Option* agent_option =
      app.add_option("--agent", agent, "agent address: unix:PATH, a socket path, or HOST:PORT")
          ->capture_default_str();
  app.add_flag("--json", json, "print the API's JSON instead of tables");
  app.add_option("--timeout", timeout_s, "give up on the agent after this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  std::string name;
  uint32_t timeout_ms = 0, lines = 10;
  bool follow = false;

  CLI::App* start = app.add_subcommand("start", "add a server and start it");
  start->add_option("name", name, "server name")->required();
  // The spec's fields, declared once with corral-server's standalone flags.
  spec::SpecFlags spec_flags(*start, spec::SpecFlags::Fields::kServerAndSupervision);

  CLI::App* stop = app.add_subcommand("stop", "stop a server (SIGTERM, then SIGKILL)");
  stop->add_option("name", name, "server name")->required();
  stop->add_option("--timeout-ms", timeout_ms, "override the spec's stop timeout");

  CLI::App* restart = app.add_subcommand("restart", "stop a server if it runs, then start it");
  restart->add_option("name", name, "server name")->required();
  std::vector<std::string> reload_command;
  CLI::App* reload = app.add_subcommand(
      "reload",
      "replace a running server's processes without a gap: each new one takes over once ready");
  reload->add_option("name", name, "server name")->required();
  reload->add_option("command", reload_command,
                     "command server: the new program and its arguments, after --");

  CLI::App* rm = app.add_subcommand("rm", "stop a server and forget it");
  rm->add_option("name", name, "server name")->required();

  CLI::App* ls = app.add_subcommand("ls", "list every server");
  CLI::App* get = app.add_subcommand("get", "show one server in detail");
  get->add_option("name", name, "server name")->required();

  CLI::App* logs =
      app.add_subcommand("logs", "print a server's log (timestamped stdout and stderr)");
  logs->add_option("name", name, "server name")->required();
  logs->add_option("-n,--lines", lines, "how many of the last lines")->capture_default_str();
  logs->add_flag("-f,--follow", follow, "keep printing new lines until interrupted");

  CLI::App* events = app.add_subcommand("events", "print supervision events as they happen");
  events->add_option("name", name, "only this server's");

  bool per_worker = false;
  uint32_t interval_ms = 1000, count = 0;
  CLI::App* stats_cmd =
      app.add_subcommand("stats", "live statistics of a server (every server without NAME)");
  stats_cmd->add_option("name", name, "server name");
  stats_cmd->add_flag("--workers", per_worker, "also list every worker slot");
  CLI::App* watch = app.add_subcommand("watch", "a line of live statistics per interval");
  watch->add_option("name", name, "server name (every server when left out)");
  watch->add_option("-i,--interval-ms", interval_ms, "milliseconds between lines (at least 100)")
      ->capture_default_str();
  watch->add_option("-c,--count", count, "stop after this many samples (0: until interrupted)");
  CLI::App* top = app.add_subcommand("top", "full-screen live view of every server (q quits)");
  top->add_option("-i,--interval-ms", interval_ms, "milliseconds between refreshes")
      ->capture_default_str()
      ->check(CLI::Range(100u, 3600000u));
  top->add_option("-c,--count", count, "exit after this many refreshes (0: until q)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? ctl::kExitOk : ctl::kExitUsage;
  }

  // The default home must be ours (a planted one is refused); an address the operator named is
  // used as named.
  ctl::CommandContext ctx(ChannelTarget(agent), agent_option->count() == 0 ? default_home : "");
  ctx.json = json;
  ctx.timeout = std::chrono::seconds(timeout_s);

  if (*start) {
    absl::StatusOr<v1::ServerSpec> spec = spec_flags.Build(name);
    if (!spec.ok()) {
      std::cerr << "corralctl: start \"" << name << "\": " << spec.status().message() << "\n";
      return ctl::kExitUsage;
    }
    return ctl::StartCommand(ctx, *spec);
  }
  if (*stop) return ctl::StopCommand(ctx, name, timeout_ms);
  if (*restart) return ctl::RestartCommand(ctx, name);
  if (*reload) return ctl::ReloadCommand(ctx, name, reload_command);
  if (*rm) return ctl::RemoveCommand(ctx, name);
  if (*ls) return ctl::ListCommand(ctx);
  if (*get) return ctl::GetCommand(ctx, name);
  if (*logs) return ctl::LogsCommand(ctx, name, lines, follow);
  if (*events) return ctl::EventsCommand(ctx, name);
  if (*stats_cmd) return ctl::StatsCommand(ctx, name, per_worker);
  if (*watch) return ctl::WatchCommand(ctx, name, interval_ms, count);
  if (*top) return ctl::TopCommand(ctx, {.interval_ms = interval_ms, .count = count});
  return ctl::kExitUsage;
}
