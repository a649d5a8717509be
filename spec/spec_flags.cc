#include "spec/spec_flags.h"

#include <filesystem>
#include <map>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "servers/server_kinds.h"
#include "spec/health_mode.h"
#include "spec/listen_address.h"
#include "spec/ready_mode.h"
#include "spec/rollout_fields.h"
#include "spec/spec_defaults.h"
#include "spec/spec_kinds.h"

namespace corral::spec {
namespace {

constexpr char kDefaultListen[] = "127.0.0.1:0";

std::string Default(uint64_t value) { return absl::StrCat(" (default ", value, ")"); }

}  // namespace

template <typename T>
void SpecFlags::Number(CLI::App& app, const std::string& flag, void (v1::ServerSpec::*set)(T),
                       const std::string& help) {
  options_.push_back(app.add_option_function<T>(
      flag, [this, set](const T& value) { (spec_.*set)(value); }, help));
}

SpecFlags::SpecFlags(CLI::App& app, Fields fields) {
  using S = v1::ServerSpec;
  spec_.set_listen(kDefaultListen);
  options_.push_back(app.add_option("--protocol,-p", protocol_,
                                    "tcp-echo | udp-echo | http | file | tcp | udp | exec (tcp, "
                                    "udp: --handler serves; exec: --exec)")
                         ->capture_default_str());
  options_.push_back(
      app.add_option("--model,-m", model_, "fork | thread | coroutine")->capture_default_str());
  listen_option_ =
      app.add_option(
             "--listen,-l", listens_,
             absl::StrCat("HOST:PORT; port 0 picks a free port (default ", kDefaultListen,
                          "); a bare PORT is 127.0.0.1:PORT (this machine only; 0.0.0.0:PORT "
                          "serves every interface); a host name is resolved here. Command servers: "
                          "repeat it, NAME=HOST:PORT names a socket, a udp: "
                          "prefix makes it UDP; without --listen a command server gets no socket"))
          ->allow_extra_args(false);
  options_.push_back(listen_option_);
  options_.push_back(app.add_option_function<std::string>(
      "--root", [this](const std::string& v) { spec_.set_root(v); },
      "directory served by the http and file protocols"));
  Number(app, "--max-workers", &S::set_max_workers,
         "most connections served at once" + Default(kDefaultMaxWorkers));
  Number(app, "--stop-timeout-ms", &S::set_stop_timeout_ms,
         "on stop (SIGTERM), how long in-flight connections have: the server cuts them after "
         "this less a fifth" +
             Default(kDefaultStopTimeoutMs));
  Number(app, "--idle-timeout-ms", &S::set_idle_timeout_ms,
         "close a connection silent for this long" + Default(kDefaultIdleTimeoutMs));
  Number(app, "--pool-size", &S::set_pool_size,
         "fork/thread: N pre-started workers instead of one per connection");
  Number(app, "--hubs", &S::set_hubs, "coroutine: hub threads (default one per CPU)");
  options_.push_back(app.add_flag_function(
      "--allow-overwrite", [this](int64_t count) { spec_.set_allow_overwrite(count > 0); },
      "file: uploads may replace files"));
  Number(app, "--max-upload-bytes", &S::set_max_upload_bytes,
         "file: largest upload accepted" + Default(kDefaultMaxUploadBytes));
  Number(app, "--file-cache-valid-ms", &S::set_file_cache_valid_ms,
         "http: a small file kept in memory is served this long before its path is checked "
         "again, so a change shows within it (0: check every request)" +
             Default(kDefaultFileCacheValidMs));
  Number(app, "--header-timeout-ms", &S::set_header_timeout_ms,
         absl::StrCat("http: a request's head must arrive within this long of its first byte, "
                      "else 408 (default min(",
                      kDefaultHeaderTimeoutCapMs, ", idle timeout))"));
  Number(app, "--max-connections-per-client", &S::set_max_connections_per_client,
         "most connections served at once per client address (IPv4 address or IPv6 /64); more "
         "are closed at once and counted (0: no cap)" +
             Default(kDefaultMaxConnectionsPerClient));
  Number(app, "--receive-buffer", &S::set_receive_buffer_bytes,
         "udp: the socket's receive buffer, bytes; datagrams arriving while it is full are "
         "dropped and counted (default: the kernel's; capped at net.core.rmem_max unless root)");
  Number(app, "--body-grace-ms", &S::set_body_grace_ms,
         "http and file: a request body or upload may take this long before --body-min-rate "
         "applies" +
             Default(kDefaultBodyGraceMs));
  Number(app, "--body-min-rate", &S::set_body_min_rate,
         "http and file: bytes/s a body must average from its start once its grace has passed, "
         "else 408 / closed (0: no minimum)" +
             Default(kDefaultBodyMinRate));
  Number(app, "--stall-bound-ms", &S::set_stall_bound_ms,
         "coroutine: report a handler that holds its hub this long without yielding (0: off)" +
             Default(kDefaultStallBoundMs));
  AddHandlerFlags(app);
  AddExecFlags(app);
  AddAccessLogFlag(app);
  if (fields == Fields::kServer) return;

  options_.push_back(
      app.add_option("--restart", restart_policy_, "restart policy: never | on-failure | always")
          ->capture_default_str());
  Number(
      app, "--backoff-initial-ms", &S::set_backoff_initial_ms,
      "first delay after a quick failure, doubled each time" + Default(kDefaultBackoffInitialMs));
  Number(app, "--backoff-max-ms", &S::set_backoff_max_ms,
         "longest restart delay" + Default(kDefaultBackoffMaxMs));
  Number(app, "--stable-after-ms", &S::set_stable_after_ms,
         "a run this long resets the failure count" + Default(kDefaultStableAfterMs));
  Number(app, "--max-failures", &S::set_max_failures,
         "consecutive failures before FATAL" + Default(kDefaultMaxFailures));
  Number(app, "--ready-timeout-ms", &S::set_ready_timeout_ms,
         "kill and fail a start not ready by then" + Default(kDefaultReadyTimeoutMs));
  Number(app, "--log-max-bytes", &S::set_log_max_bytes,
         "rotate the log at this size" + Default(kDefaultLogMaxBytes));
  Number(app, "--log-keep", &S::set_log_keep_files,
         "rotated logs kept" + Default(kDefaultLogKeepFiles));
  // As whom the agent runs the server: supervision, not serving, since the agent switches
  // before the exec and corral-server never sees these.
  options_.push_back(app.add_option_function<std::string>(
      "--user", [this](const std::string& v) { spec_.set_user(v); },
      "run the server as this user (name or uid; default: a caller admitted by --allow-group "
      "runs it as itself, the agent's user and root as the agent's)"));
  options_.push_back(app.add_option_function<std::string>(
      "--group", [this](const std::string& v) { spec_.set_group(v); },
      "run the server with this group (name or gid; default: the user's primary group); "
      "supplementary groups are always dropped"));
  Number(app, "--instances", &S::set_instances,
         "run this many copies on the same sockets, each supervised on its own (default 1)");
  CommandFlags(app);
  HealthFlags(app);
  AddDependsOnFlag(app);
  RolloutFlags(app);
}

void SpecFlags::AddDependsOnFlag(CLI::App& app) {
  options_.push_back(app.add_option_function<std::vector<std::string>>(
      "--depends-on",
      [this](const std::vector<std::string>& names) {
        for (const std::string& dependency : names) spec_.add_depends_on(dependency);
      },
      "NAME (repeatable): a server this one needs; `corralctl apply` starts it after them and "
      "`stop --all` stops it before them (docs/config.md)"));
}

void SpecFlags::RolloutFlags(CLI::App& app) {
  Number(app, "--check-ms", &v1::ServerSpec::set_rollout_check_ms,
         "reload: watch each new instance this long once ready, and roll back on a breach of "
         "--max-error-rate or --max-p99-ms (0: no check)");
  Number(app, "--max-error-rate", &v1::ServerSpec::set_rollout_max_error_rate,
         "reload: roll back when a new instance's errors per request in the check exceed this "
         "fraction (0.01 is 1 %)");
  Number(app, "--max-p99-ms", &v1::ServerSpec::set_rollout_max_p99_ms,
         "reload: roll back when a new instance's p99 latency in the check exceeds this");
  Number(app, "--min-requests", &v1::ServerSpec::set_rollout_min_requests,
         absl::StrCat("reload: fewer requests in the check are not judged (the instance passes, "
                      "and the event says so)",
                      Default(kDefaultRolloutMinRequests)));
  options_.push_back(app.add_flag_function(
      "--require-requests",
      [this](int64_t count) { spec_.set_rollout_require_requests(count > 0); },
      "reload: fewer than --min-requests requests in the check roll back instead of passing"));
}

void SpecFlags::CommandFlags(CLI::App& app) {
  options_.push_back(app.add_option("command", command_,
                                    "command server: the program and its arguments, after -- "
                                    "(exec'ed directly, no shell; looked up in PATH)"));
  options_.push_back(app.add_option_function<std::vector<std::string>>(
                            "--env",
                            [this](const std::vector<std::string>& v) {
                              for (const std::string& entry : v) spec_.add_env(entry);
                            },
                            "command server: KEY=VALUE added to its environment (repeatable)")
                         ->allow_extra_args(false));
  options_.push_back(app.add_option_function<std::string>(
      "--env-file", [this](const std::string& v) { spec_.set_env_file(v); },
      "command server: a file of KEY=VALUE lines, read at every start"));
  options_.push_back(app.add_option_function<std::string>(
      "--cwd", [this](const std::string& v) { spec_.set_cwd(v); },
      "command server: its working directory (default /)"));
  options_.push_back(app.add_option_function<std::string>(
                            "--umask",
                            [this](const std::string& v) {
                              spec_.set_umask(static_cast<uint32_t>(std::stoul(v, nullptr, 8)));
                            },
                            "command server: its umask, in octal (default: the agent's)")
                         ->check(CLI::Validator(
                             [](std::string& v) {
                               return v.find_first_not_of("01234567") == std::string::npos &&
                                              !v.empty() && v.size() <= 4
                                          ? std::string()
                                          : std::string("an octal umask such as 022");
                             },
                             "OCTAL")));
  Number(app, "--max-open-files", &v1::ServerSpec::set_max_open_files,
         "command server: its descriptor limit (RLIMIT_NOFILE; default: the agent's)");
  Number(app, "--watchdog-ms", &v1::ServerSpec::set_watchdog_ms,
         "command server: once ready it must send WATCHDOG=1 this often, else SIGABRT and a "
         "restart (0: no watchdog)");
  options_.push_back(app.add_option_function<std::string>(
      "--ready", [this](const std::string& v) { spec_.set_ready(v); },
      absl::StrCat("command server: when it is ready: notify (sd_notify READY=1), http:/PATH (a "
                   "GET on its first socket answers 2xx) or delay:MS (alive that long; default ",
                   kDefaultCommandReady, ")")));
}

void SpecFlags::HealthFlags(CLI::App& app) {
  options_.push_back(app.add_option_function<std::string>(
      "--health", [this](const std::string& v) { spec_.set_health(v); },
      "liveness probe once ready: http:/PATH (a GET on the first socket answers 2xx) or tcp (the "
      "server accepts a connection); failing --health-failures times in a row restarts it"));
  Number(app, "--health-interval-ms", &v1::ServerSpec::set_health_interval_ms,
         "between two health probes" + Default(kDefaultHealthIntervalMs));
  Number(app, "--health-timeout-ms", &v1::ServerSpec::set_health_timeout_ms,
         "one health probe may take this long" + Default(kDefaultHealthTimeoutMs));
  Number(app, "--health-failures", &v1::ServerSpec::set_health_failures,
         "consecutive failed probes before a restart" + Default(kDefaultHealthFailures));
  options_.push_back(
      app.add_option_function<std::string>(
             "--memory-max",
             [this](const std::string& v) { spec_.set_memory_max_bytes(*ParseByteSize(v)); },
             "restart the server gracefully when its process tree's RSS stays above this for 3 "
             "s (bytes; K, M, G suffixes)")
          ->check(CLI::Validator(
              [](std::string& v) {
                absl::StatusOr<uint64_t> bytes = ParseByteSize(v);
                return bytes.ok() ? std::string() : std::string(bytes.status().message());
              },
              "SIZE")));
}

absl::Status SpecFlags::PlaceListens(v1::ServerSpec& spec) const {
  const bool command = !command_.empty();
  if (listen_option_->count() == 0) {
    if (command) spec.clear_listen();  // a program may serve no socket at all
    return absl::OkStatus();
  }
  spec.clear_listen();
  bool first = true;
  for (const std::string& value : listens_) {
    v1::ListenSocket socket;
    std::string_view address = value;
    const size_t equals = address.find('=');
    if (equals != std::string_view::npos) {
      socket.set_name(std::string(address.substr(0, equals)));
      address.remove_prefix(equals + 1);
    }
    if (address.substr(0, 4) == "udp:") {
      socket.set_udp(true);
      address.remove_prefix(4);
    }
    absl::StatusOr<ListenAddress> resolved = ResolveListenAddress(std::string(address));
    if (!resolved.ok()) return resolved.status();
    if (!resolved->note.empty()) notes_.push_back(resolved->note);
    socket.set_address(resolved->address);
    if (!command && (listens_.size() > 1 || !socket.name().empty() || socket.udp())) {
      return absl::InvalidArgumentError(
          "named, udp: and repeated --listen apply to command servers (give the program after "
          "--); corral-server takes one HOST:PORT");
    }
    const bool was_first = std::exchange(first, false);
    if (socket.name().empty() && !socket.udp() && was_first) {
      spec.set_listen(socket.address());
      continue;
    }
    if (socket.name().empty() && !was_first) {
      return absl::InvalidArgumentError("name every --listen after the first: NAME=HOST:PORT");
    }
    if (socket.name().empty()) socket.set_name("listen");
    *spec.add_sockets() = std::move(socket);
  }
  return absl::OkStatus();
}

void SpecFlags::AddHandlerFlags(CLI::App& app) {
  // Made absolute here, against the caller's working directory: `corralctl start --handler
  // ./x.so` means the user's ./x.so, not one relative to wherever the agent runs.
  options_.push_back(app.add_option_function<std::string>(
      "--handler",
      [this](const std::string& v) {
        std::error_code ec;
        std::filesystem::path path = std::filesystem::absolute(v, ec);
        spec_.set_handler(ec ? v : path.lexically_normal().string());
      },
      "handler plugin (.so) serving protocol tcp or udp, or adding routes to http"));
  // One KEY=VALUE per occurrence, so a positional argument after it is never taken for one.
  options_.push_back(app.add_option("--handler-arg", handler_args_,
                                    "KEY=VALUE handed to the handler's init (repeatable)")
                         ->allow_extra_args(false));
}

// Explicit flags rather than a trailing `-- PROGRAM ARGS`: corralctl's command servers take
// that form, and one command line may not mean both.
void SpecFlags::AddExecFlags(CLI::App& app) {
  options_.push_back(app.add_option(
      "--exec", exec_program_,
      "exec: the program each connection runs, with the connection on its stdin and stdout "
      "(an absolute path, or a name looked up on PATH)"));
  options_.push_back(
      app.add_option("--exec-arg", exec_args_, "exec: an argument for the program (repeatable)")
          ->allow_extra_args(false));
}

void SpecFlags::AddAccessLogFlag(CLI::App& app) {
  options_.push_back(app.add_flag_function(
      "--no-access-log", [this](int64_t count) { spec_.set_access_log(count == 0); },
      "http: write no access log line per request (default: one line each in the server's log)"));
}

bool SpecFlags::AnyGiven() const {
  for (const CLI::Option* option : options_) {
    if (option->count() > 0) return true;
  }
  return false;
}

absl::StatusOr<v1::ServerSpec> SpecFlags::Build(const std::string& name) const {
  notes_.clear();
  std::optional<ProtocolKind> protocol = ParseProtocolName(protocol_);
  if (!protocol) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown protocol \"", protocol_, "\"; use one of ", ProtocolNameList()));
  }
  std::optional<ModelKind> model = ParseModelName(model_);
  if (!model) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown model \"", model_, "\"; use one of fork, thread, coroutine"));
  }
  static const std::map<std::string, v1::RestartPolicy> kPolicies = {
      {"never", v1::RESTART_NEVER},
      {"on-failure", v1::RESTART_ON_FAILURE},
      {"always", v1::RESTART_ALWAYS}};
  auto policy = kPolicies.find(restart_policy_);
  if (policy == kPolicies.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown restart policy \"", restart_policy_,
                                                   "\"; use never, on-failure or always"));
  }
  v1::ServerSpec spec = spec_;
  for (const std::string& pair : handler_args_) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--handler-arg \"", pair, "\" is not KEY=VALUE"));
    }
    (*spec.mutable_handler_args())[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  spec.set_name(name);
  spec.set_restart_policy(policy->second);
  if (absl::Status s = PlaceListens(spec); !s.ok()) return s;
  if (!command_.empty()) {
    // Paths are the caller's: made absolute here, where its working directory is known.
    std::error_code ec;
    auto absolute = [&ec](const std::string& path) {
      return std::filesystem::absolute(path, ec).lexically_normal().string();
    };
    for (const std::string& arg : command_) spec.add_command(arg);
    if (command_[0].find('/') != std::string::npos) spec.set_command(0, absolute(command_[0]));
    if (!spec.env_file().empty()) spec.set_env_file(absolute(spec.env_file()));
    if (!spec.cwd().empty()) spec.set_cwd(absolute(spec.cwd()));
    return spec;  // no protocol, no model: the program is the server
  }
  spec.set_protocol(ProtocolToProto(*protocol));
  spec.set_model(ModelToProto(*model));
  if (!exec_program_.empty()) {
    spec.add_exec_argv(exec_program_);
    for (const std::string& arg : exec_args_) spec.add_exec_argv(arg);
  } else if (!exec_args_.empty()) {
    return absl::InvalidArgumentError("--exec-arg needs --exec PROGRAM");
  }
  return spec;
}

}  // namespace corral::spec
