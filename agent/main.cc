// corral-agent: the supervisor daemon. Flags, then (with --daemon) Detach, then RunAgent: take
// the home, listen on its unix socket, restore the saved servers (adopting the processes still
// running), and run the supervision loop until SIGTERM or SIGINT. On those the servers keep
// running (a new agent adopts them) unless --stop-servers-on-exit. SIGHUP never ends it: it
// reopens HOME/agent.log (logrotate's convention).
// Exit codes: 0 stopped cleanly (with --daemon: the daemon is serving), 1 could not start or
// the event loop failed (the message says why), 2 bad flags.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "agent/agent_lock.h"
#include "agent/agent_log.h"
#include "agent/agent_service.h"
#include "agent/audit_interceptor.h"
#include "agent/audit_log.h"
#include "agent/caller_access.h"
#include "agent/config_at_start.h"
#include "agent/control_socket.h"
#include "agent/daemon.h"
#include "agent/dashboard/dashboard_server.h"
#include "agent/event_bus.h"
#include "agent/event_loop.h"
#include "agent/metrics_endpoint.h"
#include "agent/remote_listener.h"
#include "agent/stall_events.h"
#include "agent/state_file.h"
#include "agent/stats_service.h"
#include "agent/supervisor.h"
#include "agent/systemd_ready.h"
#include "agent/token_file.h"
#include "base/agent_home.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"
#include "base/version.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/spdlog.h"
#include "spec/spec_defaults.h"

namespace corral::agent {
namespace {

constexpr int kMaxStreamsPerConnection = 64;
constexpr int kIdleConnectionMs = 5 * 60 * 1000;

struct Flags {
  std::string home;
  std::string server_binary;
  std::string logger_binary;
  bool stop_servers_on_exit = false;
  std::string metrics_listen;            // HOST:PORT of the Prometheus endpoint; empty: none
  std::vector<GroupGrant> allow_groups;  // who else may call, beside this user and root
  bool allow_user_switch = false;        // group operators may run servers as anyone
  bool allow_root_servers = false;       // a root agent may run servers without a user as root
  bool daemon = false;                   // detach; log to HOME/agent.log
  RemoteFlags remote;                    // the TCP listener (docs/remote.md)
  std::string notify_socket;             // systemd's NOTIFY_SOCKET, taken from the environment
  std::string dashboard_listen;          // HOST:PORT of the web dashboard; empty: none
  std::string config;                    // a config file applied at start; empty: none
};

// Reports a failure to start: to the waiting parent of a daemon, which prints it, or on
// stderr; and into the log either way.
class Failer {
 public:
  explicit Failer(StartReport& report) : report_(report) {}
  int operator()(const std::string& what) const {
    if (report_.detached()) {
      spdlog::error("{}", what);  // the log is the daemon's only trace
      report_.Failed(what);
    } else {
      std::cerr << "corral-agent: " << what << "\n";
    }
    return 1;
  }

 private:
  StartReport& report_;
};

// The daemon's log and stdio: the log first, so that a failure to open it still reaches the
// operator's terminal through the start report.
absl::Status DetachLogging(const Flags& flags) {
  if (absl::Status s = LogToFile(flags.home, spec::kDefaultLogMaxBytes, spec::kDefaultLogKeepFiles);
      !s.ok()) {
    return s;
  }
  return RedirectStdioToDevNull();
}

// corral-server and corral-logger are installed next to corral-agent.
std::string SiblingBinary(const char* name) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / name).string();
}

// The web dashboard of --dashboard-listen, calling the agent on `socket_path` (which must
// already serve); null without the flag.
absl::StatusOr<std::unique_ptr<dashboard::DashboardServer>> StartDashboard(
    const Flags& flags, const std::string& socket_path) {
  if (flags.dashboard_listen.empty()) return nullptr;
  dashboard::DashboardOptions options;
  options.listen = flags.dashboard_listen;
  options.socket_path = socket_path;
  options.chartjs_path = dashboard::kDebianChartJs;
  if (!flags.remote.token_file.empty()) {
    absl::StatusOr<TokenTable> tokens = TokenTable::Load(flags.remote.token_file);
    if (!tokens.ok()) return tokens.status();
    options.tokens = *std::move(tokens);
  }
  if (flags.remote.tls_cert.empty() != flags.remote.tls_key.empty()) {
    return absl::InvalidArgumentError("serve the dashboard: --tls-cert and --tls-key go together");
  }
  if (!flags.remote.tls_cert.empty()) {
    absl::StatusOr<std::shared_ptr<dashboard::TlsContext>> tls =
        dashboard::TlsContext::Load(flags.remote.tls_cert, flags.remote.tls_key);
    if (!tls.ok()) return tls.status();
    options.tls = *std::move(tls);
  }
  absl::StatusOr<std::unique_ptr<dashboard::DashboardServer>> started =
      dashboard::DashboardServer::Start(std::move(options));
  if (started.ok()) {
    spdlog::info(
        "dashboard on {}://{}/{}", (*started)->scheme(), (*started)->address(),
        flags.remote.token_file.empty() ? " (no --token-file: read only, loopback only)" : "");
  }
  return started;
}

int RunAgent(const Flags& flags, StartReport& report) {
  const Failer fail(report);
  if (absl::Status s = base::PrepareHome(flags.home); !s.ok())
    return fail(std::string(s.message()));
  // The lock before the log: an agent refused here never writes into the running one's log.
  absl::StatusOr<AgentLock> lock = AgentLock::Acquire(flags.home);
  if (!lock.ok()) return fail(std::string(lock.status().message()));
  if (flags.daemon) {
    if (absl::Status s = DetachLogging(flags); !s.ok()) return fail(std::string(s.message()));
  }
  std::string stale;
  absl::StatusOr<PidFile> pid_file = PidFile::Write(flags.home, &stale);
  if (!pid_file.ok()) return fail(std::string(pid_file.status().message()));
  if (!stale.empty()) {
    spdlog::warn("replaced the stale pid file {} (pid {}: an agent that did not exit cleanly)",
                 PidFile::Path(flags.home), stale);
  }
  for (const std::string& binary : {flags.server_binary, flags.logger_binary}) {
    if (::access(binary.c_str(), X_OK) != 0) {
      return fail(std::string(base::SyscallError("find binary " + binary, errno).message()));
    }
  }
  absl::StatusOr<v1::StateFile> saved = LoadStateFile(StateFilePath(flags.home));
  if (!saved.ok()) return fail(std::string(saved.status().message()));
  // Checked whole before the agent serves: a bad file fails the start with its error.
  std::optional<spec::ConfigFile> config_file;
  if (!flags.config.empty()) {
    absl::StatusOr<spec::ConfigFile> loaded = spec::LoadConfigFile(flags.config);
    if (!loaded.ok()) return fail(std::string(loaded.status().message()));
    config_file = *std::move(loaded);
  }

  // Signals are blocked before gRPC starts its threads, so they all inherit the mask and only
  // the loop sees SIGTERM/SIGINT/SIGHUP, through the signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  base::UniqueFd signals(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return fail(std::string(base::SyscallError("signalfd", errno).message()));

  EventLoop loop;
  if (!loop.status().ok()) return fail(std::string(loop.status().message()));
  SupervisorConfig config;
  config.home = flags.home;
  config.server_binary = flags.server_binary;
  config.logger_binary = flags.logger_binary;
  config.run_as = {.agent_uid = ::geteuid(),
                   .agent_gid = ::getegid(),
                   .allow_user_switch = flags.allow_user_switch,
                   .allow_root_servers = flags.allow_root_servers};
  EventBus events;
  absl::StatusOr<NotifySocket> notify = NotifySocket::Open(flags.home);
  if (!notify.ok()) return fail(std::string(notify.status().message()));
  Supervisor supervisor(loop, events, config, *std::move(notify));
  supervisor.Restore(*saved);
  CallerAccess access(::geteuid(), flags.allow_groups);
  absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open(flags.home);
  if (!audit.ok()) return fail(std::string(audit.status().message()));
  access.SetAuditLog(audit->get());
  ::unlink(RemoteListener::AddressPath(flags.home).c_str());  // a previous agent's port
  absl::StatusOr<std::unique_ptr<RemoteListener>> remote =
      RemoteListener::Prepare(flags.remote, access);
  if (!remote.ok()) return fail(std::string(remote.status().message()));
  AgentService service(loop, supervisor, events, access, config.run_as);
  StatsService stats_service(loop, supervisor, flags.home, access);
  StallEvents stall_events(loop, supervisor, events, flags.home);
  stall_events.Start();
  std::unique_ptr<MetricsEndpoint> metrics;
  if (!flags.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> started = MetricsEndpoint::Start(
        flags.metrics_listen, [&stats_service] { return stats_service.RenderMetrics(); });
    if (!started.ok()) return fail(std::string(started.status().message()));
    metrics = *std::move(started);
    spdlog::info("Prometheus metrics on http://{}/metrics", metrics->address());
  }

  // The agent accepts on its socket itself (ControlSocket), so that every connection's caller
  // is identified before gRPC reads from it; the gRPC server has no listening port of its own.
  const std::string socket_path = base::SocketPath(flags.home);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Bounds on what one admitted connection can hold: streams at once, and an idle connection
  // (no call in flight) is closed.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, kIdleConnectionMs);
  builder.RegisterService(&service);
  builder.RegisterService(&stats_service);
  // Every call's end reaches CallerAccess, which writes the audit line of a mutating one.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> audited;
  audited.push_back(std::make_unique<AuditInterceptorFactory>(access));
  builder.experimental().SetInterceptorCreators(std::move(audited));
  if (*remote != nullptr) (*remote)->AddTo(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr && *remote != nullptr) {
    return fail("start the gRPC server: bind --listen-tcp " + flags.remote.listen_tcp +
                " failed (in use, or not an address of this host?)");
  }
  if (server == nullptr) return fail("start the gRPC server: gRPC refused its configuration");
  if (*remote != nullptr) {
    if (absl::Status s = (*remote)->Announce(flags.home); !s.ok()) {
      server->Shutdown(std::chrono::system_clock::now());
      return fail(std::string(s.message()));
    }
  }
  absl::StatusOr<std::unique_ptr<ControlSocket>> control =
      ControlSocket::Listen(socket_path, access);
  if (control.ok()) {
    if (absl::Status serving = (*control)->Serve(server.get()); !serving.ok()) control = serving;
  }
  if (!control.ok()) {
    server->Shutdown(std::chrono::system_clock::now());
    return fail(std::string(control.status().message()));
  }
  absl::StatusOr<std::unique_ptr<dashboard::DashboardServer>> web =
      StartDashboard(flags, socket_path);
  if (!web.ok()) {
    (*control)->Close();
    server->Shutdown(std::chrono::system_clock::now());
    return fail(std::string(web.status().message()));
  }
  std::unique_ptr<dashboard::DashboardServer> dashboard_server = *std::move(web);
  if (dashboard_server != nullptr) {
    // The dashboard's table shares the agent's once-a-second sampling (no sampler of its own).
    stats_service.SetSampleObserver(
        [d = dashboard_server.get()](const std::vector<v1::Server>& servers,
                                     const v1::StatsReport& sample) {
          d->Publish(servers, sample);
        });
  }
  server->GetHealthCheckService()->SetServingStatus("corral.v1.Agent", true);
  server->GetHealthCheckService()->SetServingStatus("corral.v1.Stats", true);
  spdlog::info("corral-agent {} listening on unix:{}", ::getpid(), socket_path);
  const std::string serving =
      absl::StrCat("corral-agent ", ::getpid(), " serving on unix:", socket_path,
                   "; log: ", AgentLogPath(flags.home));
  // With --config the agent counts as started once the file is applied: its calls need the
  // loop, so the apply runs on a thread of its own and reports back on the loop. A file that
  // does not fit the saved servers (INVALID_ARGUMENT) fails the start; a server that does not
  // become READY is logged and stays as it is, FAILED with its reason, as with corralctl.
  absl::Status config_failure;
  std::thread applier;
  // Ready for the daemon's parent and for systemd (Type=notify) alike.
  auto announce_ready = [&] {
    report.Ready(serving);
    if (absl::Status s = SendReady(flags.notify_socket, "serving on unix:" + socket_path);
        !s.ok()) {
      spdlog::warn("{}", std::string(s.message()));  // systemd will time the start out
    }
  };
  if (!config_file) announce_ready();

  // The shutdown: every waiting call is answered (Supervisor::Close), then the gRPC server
  // shuts down on a thread of its own while the loop keeps running, since calls still queued
  // for the loop can only finish there; only then does the loop stop.
  std::thread shutdown;
  auto shut_down = [&] {
    supervisor.Close();
    // On the loop thread, before the dashboard is destroyed on another: no sample reaches it.
    stats_service.SetSampleObserver(nullptr);
    shutdown = std::thread([&] {
      dashboard_server.reset();  // its streams are calls to the server that shuts down next
      (*control)->Close();       // no new connection reaches a server that is shutting down
      server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      metrics.reset();  // its requests, too, wait on the loop
      loop.Quit();
    });
  };
  bool stopping = false;
  absl::Status watched = loop.Watch(signals.get(), EPOLLIN, [&](uint32_t) {
    signalfd_siginfo info{};
    bool stop = false;
    while (::read(signals.get(), &info, sizeof info) == sizeof info) {
      if (info.ssi_signo != SIGHUP) {
        stop = true;
        continue;
      }
      spdlog::info("SIGHUP: reopening the log");
      ReopenAgentLog();
      spdlog::info("SIGHUP: log reopened");
    }
    if (!stop || stopping) return;
    stopping = true;
    if (!flags.stop_servers_on_exit) {
      spdlog::info("signal {}: exiting; the servers keep running for the next agent",
                   info.ssi_signo);
      return shut_down();
    }
    spdlog::info("signal {}: stopping every server, then exiting", info.ssi_signo);
    supervisor.StopAll(shut_down);
  });
  if (!watched.ok()) {
    (*control)->Close();
    server->Shutdown(std::chrono::system_clock::now());
    return fail(absl::StrCat("watch for SIGTERM, SIGINT and SIGHUP: ", watched.message()));
  }
  if (config_file) {
    applier = std::thread([&] {
      absl::Status applied = ApplyConfigAtStart(*config_file, socket_path, absl::Seconds(60));
      loop.RunInLoop([&, applied] {
        if (stopping) return;  // a signal came first
        if (applied.code() == absl::StatusCode::kInvalidArgument) {
          config_failure = applied;
          stopping = true;
          return shut_down();
        }
        if (!applied.ok()) {
          spdlog::error("config {}: {}", flags.config, std::string(applied.message()));
        }
        announce_ready();
      });
    });
  }
  loop.Run();

  if (shutdown.joinable()) {
    shutdown.join();
  } else {
    // The loop failed (its error is logged): nothing can answer the calls still waiting on
    // it, so they are cancelled after a short grace.
    metrics.reset();
    dashboard_server.reset();
    (*control)->Close();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (applier.joinable()) applier.join();  // its calls were answered or cancelled by now
  (void)loop.Unwatch(signals.get());
  control->reset();  // removes the socket
  if (!loop.status().ok()) return fail(std::string(loop.status().message()));
  if (!config_failure.ok()) return fail(std::string(config_failure.message()));
  spdlog::info("corral-agent stopped");
  return 0;
}

}  // namespace
}  // namespace corral::agent

int main(int argc, char** argv) {
  corral::agent::Flags flags;
  flags.home = corral::base::DefaultHome();
  flags.server_binary = corral::agent::SiblingBinary("corral-server");
  flags.logger_binary = corral::agent::SiblingBinary("corral-logger");
  CLI::App app{
      "corral-agent: supervises corral-server processes and serves the corral.v1.Agent gRPC API\n"
      "on a unix socket in its home directory.\n"
      "Exit codes: 0 stopped cleanly, 1 could not start, 2 bad flags."};
  app.set_version_flag("-V,--version", std::string("corral-agent ") + corral::base::kVersion);
  app.add_option("--home", flags.home,
                 "home directory (default ${CORRAL_HOME:-${XDG_RUNTIME_DIR:-/tmp}/corral-$UID})")
      ->capture_default_str();
  app.add_option("--server-binary", flags.server_binary, "path of corral-server")
      ->capture_default_str();
  app.add_option("--logger-binary", flags.logger_binary, "path of corral-logger")
      ->capture_default_str();
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "serve Prometheus metrics on http://HOST:PORT/metrics (default: off)");
  std::vector<std::string> allow_groups;
  app.add_option("--allow-group", allow_groups,
                 "GROUP[:monitor|operator] (repeatable): members of GROUP may call the agent "
                 "with that role (default monitor: read only); the agent's user and root are "
                 "always operators, anyone else is refused");
  app.add_flag("--allow-user-switch", flags.allow_user_switch,
               "let operators admitted by --allow-group start servers as any user, root "
               "included (spec field `user`); without it they run servers only as themselves. "
               "This makes such a group as powerful as root: grant it only to groups you would "
               "give sudo");
  app.add_flag("--allow-root-servers", flags.allow_root_servers,
               "on a root agent, run servers whose spec names no user as root; without it they "
               "are refused (name a user with `corralctl start --user NAME`)");
  app.add_flag("--daemon", flags.daemon,
               "detach: run in a session of its own with no terminal, log to HOME/agent.log "
               "(rotated like server logs; SIGHUP reopens it) and write HOME/agent.pid; exits 0 "
               "once the agent serves, or 1 with its error");
  app.add_option("--config", flags.config,
                 "apply this config file at start, after the saved servers are restored "
                 "(docs/config.md); a file with an error fails the start");
  app.add_flag("--stop-servers-on-exit", flags.stop_servers_on_exit,
               "on SIGTERM/SIGINT, stop every server before exiting (default: leave them "
               "running for the next agent to adopt)");
  app.add_option("--dashboard-listen", flags.dashboard_listen,
                 "serve the web dashboard on HOST:PORT (default: off); HTTPS with --tls-cert, "
                 "logins with --token-file; without tokens only on loopback, read only "
                 "(docs/dashboard.md)");
  corral::agent::RemoteFlags& remote = flags.remote;
  app.add_option("--listen-tcp", remote.listen_tcp,
                 "also serve the API on HOST:PORT over TLS (needs --tls-cert, --tls-key, and "
                 "--token-file or --tls-client-ca; port 0 picks one, written to "
                 "HOME/agent-tcp.address); see docs/remote.md");
  app.add_option("--tls-cert", remote.tls_cert, "PEM certificate (chain) of the TCP listener");
  app.add_option("--tls-key", remote.tls_key, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", remote.tls_client_ca,
                 "PEM CA: TCP clients must present a certificate it signed (mutual TLS); a "
                 "certificate without a token gets the monitor role");
  app.add_option("--token-file", remote.token_file,
                 "bearer tokens for TCP callers, one \"NAME monitor|operator SECRET\" a line; "
                 "mode 0600");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (absl::Status s = corral::agent::CheckRemoteFlags(remote, !flags.dashboard_listen.empty());
      !s.ok()) {
    std::cerr << "corral-agent: " << s.message() << "\n";
    return 2;
  }
  flags.notify_socket = corral::agent::TakeNotifySocket();
  for (const std::string& text : allow_groups) {
    absl::StatusOr<corral::agent::GroupGrant> grant = corral::agent::ParseGroupGrant(text);
    if (!grant.ok()) {
      std::cerr << "corral-agent: " << grant.status().message() << "\n";
      return 2;
    }
    flags.allow_groups.push_back(*std::move(grant));
  }
  corral::agent::StartReport report;
  if (flags.daemon) {
    // The daemon runs in "/": paths given relative to the caller's directory are resolved now.
    for (std::string* path :
         {&flags.home, &flags.server_binary, &flags.logger_binary, &flags.config, &remote.tls_cert,
          &remote.tls_key, &remote.tls_client_ca, &remote.token_file}) {
      if (path->empty()) continue;
      *path = std::filesystem::absolute(*path).lexically_normal().string();
    }
    absl::StatusOr<corral::agent::StartReport> detached =
        corral::agent::Detach(corral::agent::AgentLogPath(flags.home));
    if (!detached.ok()) {
      std::cerr << "corral-agent: " << detached.status().message() << "\n";
      return 1;
    }
    report = *std::move(detached);
    // Until HOME/agent.log is open, a failure reaches the operator through the report alone.
    spdlog::set_default_logger(spdlog::null_logger_mt("corral-agent"));
  } else {
    corral::agent::LogToStderr();
  }
  return corral::agent::RunAgent(flags, report);
}
