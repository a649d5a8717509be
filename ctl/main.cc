// corralctl: the terminal client of corral-agent's gRPC API. Flags, then one command.
#include <iostream>
#include <map>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "agent/home.h"
#include "agent/server_kinds_proto.h"
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/stats_commands.h"
#include "ctl/top_view.h"
#include "servers/server_kinds.h"

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

  const std::string default_home = agent::DefaultHome();
  std::string agent = "unix:" + agent::SocketPath(default_home);
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
  std::string protocol = "tcp-echo", model = "thread", listen = "127.0.0.1:0", root;
  uint32_t max_workers = 0, stop_timeout_ms = 0, idle_timeout_ms = 0, timeout_ms = 0;
  uint32_t pool_size = 0, hubs = 0;
  std::string restart_policy = "always";
  uint32_t backoff_initial_ms = 0, backoff_max_ms = 0, stable_after_ms = 0, max_failures = 0;
  uint32_t ready_timeout_ms = 0, log_keep = 0, lines = 10;
  uint64_t log_max_bytes = 0;
  bool follow = false;
  uint64_t max_upload_bytes = 0;
  bool allow_overwrite = false;

  CLI::App* start = app.add_subcommand("start", "add a server and start it");
  start->add_option("name", name, "server name")->required();
  start->add_option("--protocol,-p", protocol, "tcp-echo | udp-echo | http | file")
      ->capture_default_str();
  start->add_option("--model,-m", model, "fork | thread | coroutine")->capture_default_str();
  start->add_option("--listen,-l", listen, "HOST:PORT; port 0 picks a free port")
      ->capture_default_str();
  start->add_option("--root", root, "directory served by http and file");
  std::string user, group;
  start->add_option("--user", user,
                    "run the server as this user (name or uid; default: a caller admitted by "
                    "--allow-group runs it as itself, the agent's user and root as the agent's)");
  start->add_option("--group", group,
                    "run the server with this group (name or gid; default: the user's primary "
                    "group); supplementary groups are always dropped");
  start->add_option("--max-workers", max_workers, "most connections at once (default 1024)");
  start->add_option("--stop-timeout-ms", stop_timeout_ms, "drain time on stop (default 5000)");
  start->add_option("--idle-timeout-ms", idle_timeout_ms,
                    "close silent connections after this long (default 60000)");
  start->add_option("--pool-size", pool_size,
                    "fork/thread: N pre-started workers instead of one per connection");
  start->add_option("--hubs", hubs, "coroutine: hub threads (default one per CPU)");
  start->add_flag("--allow-overwrite", allow_overwrite, "file: uploads may replace files");
  start->add_option("--max-upload-bytes", max_upload_bytes, "file: largest upload (default 1 GiB)");
  uint32_t file_cache_valid_ms = 0;
  CLI::Option* file_cache_valid_option =
      start->add_option("--file-cache-valid-ms", file_cache_valid_ms,
                        "http: a small file kept in memory is trusted this long before its path is "
                        "checked again (default 1000; 0: every request; at most 3600000)");
  start->add_option("--restart", restart_policy, "restart policy: never | on-failure | always")
      ->capture_default_str();
  start->add_option("--backoff-initial-ms", backoff_initial_ms,
                    "first delay after a quick failure, doubled each time (default 100)");
  start->add_option("--backoff-max-ms", backoff_max_ms, "longest restart delay (default 30000)");
  start->add_option("--stable-after-ms", stable_after_ms,
                    "a run this long resets the failure count (default 10000)");
  start->add_option("--max-failures", max_failures,
                    "consecutive failures before FATAL (default 5)");
  start->add_option("--ready-timeout-ms", ready_timeout_ms,
                    "kill and fail a start not ready by then (default 10000)");
  start->add_option("--log-max-bytes", log_max_bytes,
                    "rotate the log at this size (default 10 MiB)");
  start->add_option("--log-keep", log_keep, "rotated logs kept (default 5)");

  CLI::App* stop = app.add_subcommand("stop", "stop a server (SIGTERM, then SIGKILL)");
  stop->add_option("name", name, "server name")->required();
  stop->add_option("--timeout-ms", timeout_ms, "override the spec's stop timeout");

  CLI::App* restart = app.add_subcommand("restart", "stop a server if it runs, then start it");
  restart->add_option("name", name, "server name")->required();

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
    std::optional<ProtocolKind> p = ParseProtocolName(protocol);
    std::optional<ModelKind> m = ParseModelName(model);
    if (!p || !m) {
      std::cerr << "corralctl: start \"" << name << "\": unknown "
                << (!p ? "protocol \"" + protocol + "\"; use tcp-echo, udp-echo, http or file"
                       : "model \"" + model + "\"; use fork, thread or coroutine")
                << "\n";
      return ctl::kExitUsage;
    }
    v1::ServerSpec spec;
    spec.set_name(name);
    spec.set_protocol(agent::ProtocolToProto(*p));
    spec.set_model(agent::ModelToProto(*m));
    spec.set_listen(listen);
    spec.set_root(root);
    spec.set_user(user);
    spec.set_group(group);
    spec.set_max_workers(max_workers);
    spec.set_stop_timeout_ms(stop_timeout_ms);
    spec.set_idle_timeout_ms(idle_timeout_ms);
    spec.set_pool_size(pool_size);
    spec.set_hubs(hubs);
    spec.set_allow_overwrite(allow_overwrite);
    spec.set_max_upload_bytes(max_upload_bytes);
    if (file_cache_valid_option->count() > 0) spec.set_file_cache_valid_ms(file_cache_valid_ms);
    static const std::map<std::string, v1::RestartPolicy> kPolicies = {
        {"never", v1::RESTART_NEVER},
        {"on-failure", v1::RESTART_ON_FAILURE},
        {"always", v1::RESTART_ALWAYS}};
    auto policy = kPolicies.find(restart_policy);
    if (policy == kPolicies.end()) {
      std::cerr << "corralctl: start \"" << name << "\": unknown restart policy \""
                << restart_policy << "\"; use never, on-failure or always\n";
      return ctl::kExitUsage;
    }
    spec.set_restart_policy(policy->second);
    spec.set_backoff_initial_ms(backoff_initial_ms);
    spec.set_backoff_max_ms(backoff_max_ms);
    spec.set_stable_after_ms(stable_after_ms);
    spec.set_max_failures(max_failures);
    spec.set_ready_timeout_ms(ready_timeout_ms);
    spec.set_log_max_bytes(log_max_bytes);
    spec.set_log_keep_files(log_keep);
    return ctl::StartCommand(ctx, spec);
  }
  if (*stop) return ctl::StopCommand(ctx, name, timeout_ms);
  if (*restart) return ctl::RestartCommand(ctx, name);
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
