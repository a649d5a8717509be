// corral-server: serves one protocol under one concurrency model on one address, standalone or
// spawned by corral-agent. Exit codes: servers/exit_codes.h.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/syscall_error.h"
#include "base/version.h"
#include "servers/exit_codes.h"
#include "servers/handler/served_protocol.h"
#include "servers/listen_fds.h"
#include "servers/models/model.h"
#include "servers/models/per_client_limit.h"
#include "servers/net/receive_buffer.h"
#include "servers/net/socket.h"
#include "servers/readiness.h"
#include "servers/server_kinds.h"
#include "servers/spec_fd.h"
#include "servers/stats/scoreboard.h"
#include "servers/stats/socket_drops.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "spec/field_flags.h"
#include "spec/spec_defaults.h"
#include "spec/spec_flags.h"
#include "spec/spec_kinds.h"
#include "spec/spec_validation.h"

namespace corral {
namespace {

// How long the kernel holds a silent connection of a protocol that AcceptsOnFirstBytes before
// the server sees it anyway: the shortest Linux offers (one SYN-ACK retransmission).
constexpr int kDeferAcceptSeconds = 1;

// A standalone server's spec needs a name to validate; nothing else sees it.
constexpr char kStandaloneName[] = "corral-server";

// How this process is wired to its supervisor, apart from what it serves (the spec).
struct Flags {
  int spec_fd = -1;
  std::string scoreboard;
  int scoreboard_fd = -1;
  uint64_t scoreboard_generation = 0;
  int notify_fd = -1;
};

// The protocol the scoreboard names (shown by `corralctl stats` and `top`): a handler plugin's
// declared name, cut to what the scoreboard holds, or the built-in protocol's.
std::string ScoreboardProtocol(const std::string& protocol_name, const handler::Plugin* plugin) {
  if (plugin == nullptr) return protocol_name;
  return plugin->name().substr(0, stats::kNameBytes - 1);
}

// Reports a start failure to the supervisor (if any) and to stderr, and returns the exit code.
// Standalone, the spec came from flags, so the message names the flags rather than the fields.
int FailStart(const Flags& flags, const std::string& reason) {
  spdlog::error("cannot start: {}", flags.spec_fd < 0 ? spec::InFlagTerms(reason) : reason);
  SendReadiness(flags.notify_fd, Readiness{false, reason});
  return kExitBadConfig;
}

// Blocks the stop signals and SIGCHLD in every thread (threads and forked workers inherit the
// mask) and returns a descriptor that becomes readable when a stop signal arrives: the models
// poll it; no handler runs. SIGCHLD is read by the fork model's own signalfd.
int StopSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigdelset(&mask, SIGCHLD);
  return ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

// The spec to run: the agent's, from --spec-fd, or the one the standalone flags describe; either
// way through the one validation, so a bad setting reads the same as the agent's refusal.
absl::StatusOr<v1::ServerSpec> ResolveSpec(const Flags& flags, const spec::SpecFlags& spec_flags) {
  absl::StatusOr<v1::ServerSpec> server_spec;
  if (flags.spec_fd >= 0) {
    if (spec_flags.AnyGiven()) {
      return absl::InvalidArgumentError("--spec-fd carries the whole spec; drop the spec flags");
    }
    server_spec = ReadSpecFd(flags.spec_fd);
  } else {
    server_spec = spec_flags.Build(kStandaloneName);
    for (const std::string& note : spec_flags.notes()) spdlog::info("{}", note);
  }
  if (!server_spec.ok()) return server_spec.status();
  return spec::ValidateSpec(*server_spec,
                            flags.scoreboard.empty() ? spec::Stats::kNotKept : spec::Stats::kKept);
}

// The listener: the one the agent handed over (LISTEN_FDS, listen_fds.h), which outlives this
// process so that clients wait in its backlog across a restart, or, standalone, our own.
absl::StatusOr<base::UniqueFd> OpenListener(std::vector<ListenFd> inherited,
                                            const net::Address& address, ModelKind model_kind,
                                            bool datagrams, int defer_accept_seconds,
                                            uint32_t receive_buffer_bytes) {
  if (!inherited.empty()) {
    base::UniqueFd fd = std::move(inherited.front().fd);
    if (absl::Status s = CheckListenFd(fd.get(), datagrams); !s.ok()) return s;
    if (defer_accept_seconds > 0 &&
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_accept_seconds,
                     sizeof defer_accept_seconds) != 0) {
      return base::SyscallError("setsockopt TCP_DEFER_ACCEPT on the handed-over listener", errno);
    }
    return fd;
  }
  // The coroutine model gives each hub its own socket on the port (SO_REUSEPORT).
  const bool shared_port = model_kind == ModelKind::kCoroutine;
  net::ListenOptions listen_options;
  listen_options.reuse_port = shared_port;
  listen_options.defer_accept_seconds = defer_accept_seconds;
  if (!datagrams) return net::ListenTcp(address, listen_options);
  absl::StatusOr<base::UniqueFd> socket = net::BindUdp(address, shared_port);
  // Set where the socket is made (the agent does so for the sockets it hands over).
  if (socket.ok() && receive_buffer_bytes > 0) {
    absl::StatusOr<uint32_t> set = net::SetReceiveBuffer(socket->get(), receive_buffer_bytes);
    if (!set.ok()) return set.status();
    if (*set < receive_buffer_bytes) {
      spdlog::warn("receive buffer: asked for {} bytes, the kernel granted {} (net.core.rmem_max)",
                   receive_buffer_bytes, *set);
    }
  }
  return socket;
}

int Run(const Flags& flags, const spec::SpecFlags& spec_flags) {
  // Taken first, whatever happens next: a failed start must not leave them in the environment.
  absl::StatusOr<std::vector<ListenFd>> inherited = TakeListenFds();
  if (!inherited.ok()) return FailStart(flags, std::string(inherited.status().message()));
  absl::StatusOr<v1::ServerSpec> server_spec = ResolveSpec(flags, spec_flags);
  if (!server_spec.ok()) return FailStart(flags, std::string(server_spec.status().message()));
  // A validated spec names a known pair and a parsable address.
  const ModelKind model_kind = *spec::ModelFromProto(server_spec->model());
  const std::string protocol_name(ProtocolName(*spec::ProtocolFromProto(server_spec->protocol())));
  const std::string model_name(ModelName(model_kind));
  absl::StatusOr<net::Address> address = net::Address::Parse(server_spec->listen());
  if (!address.ok()) return FailStart(flags, std::string(address.status().message()));

  // A handler plugin is loaded and initialised here, before any worker exists.
  absl::StatusOr<handler::ServedProtocol> served_protocol =
      handler::MakeServedProtocol(*server_spec);
  if (!served_protocol.ok()) {
    return FailStart(flags, std::string(served_protocol.status().message()));
  }
  protocols::AnyProtocol* protocol = &served_protocol->protocol;
  const handler::Plugin* plugin = served_protocol->plugin.get();

  models::ModelOptions model_options;
  model_options.max_workers = server_spec->max_workers();
  model_options.drain_timeout =
      std::chrono::milliseconds(spec::DrainTimeoutMs(server_spec->stop_timeout_ms()));
  model_options.pool_size = server_spec->pool_size();
  model_options.hubs = server_spec->hubs();
  model_options.stall_bound = std::chrono::milliseconds(server_spec->stall_bound_ms());
  model_options.handler_name = plugin != nullptr ? plugin->name() : protocol_name;
  model_options.shared_listener = !inherited->empty();
  model_options.receive_buffer_bytes = server_spec->receive_buffer_bytes();

  // Created before any worker exists, so forked children inherit the mapping.
  std::optional<stats::Scoreboard> scoreboard;
  if (!flags.scoreboard.empty()) {
    absl::StatusOr<stats::Scoreboard> created =
        stats::Scoreboard::Create({.path = flags.scoreboard,
                                   .slot_count = models::SlotsNeeded(model_kind, model_options),
                                   .protocol = ScoreboardProtocol(protocol_name, plugin),
                                   .model = model_name,
                                   .generation = flags.scoreboard_generation,
                                   .worker_cap = server_spec->max_workers(),
                                   .fd = flags.scoreboard_fd});
    if (!created.ok()) return FailStart(flags, std::string(created.status().message()));
    scoreboard.emplace(*std::move(created));
    model_options.scoreboard = &*scoreboard;
  }
  // Made before any worker exists, so forked pool workers share its counts.
  std::unique_ptr<models::PerClientLimit> per_client_limit;
  if (server_spec->max_connections_per_client() > 0) {
    absl::StatusOr<std::unique_ptr<models::PerClientLimit>> made = models::PerClientLimit::Create(
        server_spec->max_connections_per_client(), model_options.scoreboard);
    if (!made.ok()) return FailStart(flags, std::string(made.status().message()));
    per_client_limit = *std::move(made);
    model_options.per_client_limit = per_client_limit.get();
  }
  absl::StatusOr<std::unique_ptr<models::Model>> model =
      models::MakeModel(model_kind, model_options);
  if (!model.ok()) return FailStart(flags, std::string(model.status().message()));

  int stop_fd = StopSignalFd();
  if (stop_fd < 0) return FailStart(flags, base::SyscallError("signalfd", errno).ToString());

  const bool datagrams =
      std::holds_alternative<std::unique_ptr<protocols::DatagramProtocol>>(*protocol);
  const int defer_accept_seconds =
      !datagrams &&
              std::get<std::unique_ptr<protocols::StreamProtocol>>(*protocol)->AcceptsOnFirstBytes()
          ? kDeferAcceptSeconds  // a silent client is seen after this long; its idle timeout
                                 // runs from then
          : 0;
  absl::StatusOr<base::UniqueFd> socket =
      OpenListener(*std::move(inherited), *address, model_kind, datagrams, defer_accept_seconds,
                   server_spec->receive_buffer_bytes());
  if (!socket.ok()) return FailStart(flags, std::string(socket.status().message()));
  absl::StatusOr<net::Address> bound = net::LocalAddress(socket->get());
  if (!bound.ok()) return FailStart(flags, std::string(bound.status().message()));

  spdlog::info(
      "serving {}{} ({} model{}) on {}", protocol_name,
      plugin ? absl::StrCat(" by handler ", plugin->name()) : "", model_name,
      server_spec->pool_size() > 0 ? absl::StrCat(", pool of ", server_spec->pool_size()) : "",
      bound->ToString());
  if (scoreboard) scoreboard->SetListenerState(stats::ListenerState::kAccepting);
  // UDP: the kernel's drops count from here, before anyone is told the server is ready (the
  // workers, which may start later, join this socket's entry; see stats/socket_drops.h).
  if (datagrams && scoreboard) stats::SocketDrops counted(socket->get(), &*scoreboard);
  SendReadiness(flags.notify_fd, Readiness{true, bound->ToString()});

  absl::Status served =
      datagrams ? (*model)->ServeDatagrams(
                      std::move(*socket), stop_fd,
                      *std::get<std::unique_ptr<protocols::DatagramProtocol>>(*protocol))
                : (*model)->ServeStreams(
                      std::move(*socket), stop_fd,
                      *std::get<std::unique_ptr<protocols::StreamProtocol>>(*protocol));
  if (scoreboard) scoreboard->SetListenerState(stats::ListenerState::kStopped);
  if (absl::IsAborted(served)) {
    // A worker thread still runs and may use the protocol and the scoreboard: leave now, before
    // this function's end destroys them under it.
    // Not spdlog::shutdown(): that thread may still log.
    spdlog::error("stopped, abandoning: {}", std::string(served.message()));
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    std::_Exit(kExitRuntimeFailure);
  }
  if (!served.ok()) {
    spdlog::error("serving stopped: {}", std::string(served.message()));
    return kExitRuntimeFailure;
  }
  if (served_protocol->plugin) served_protocol->plugin->Fini();
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace
}  // namespace corral

int main(int argc, char** argv) {
  // Debian's Abseil is built with Mutex deadlock detection on, which records every lock taken
  // in a process-wide graph: a debugging aid that costs a request of a small cached file about
  // a sixteenth of its instructions (the file cache's lock). The unit tests, which run this
  // code without this main, keep detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Its log, errors included, on stderr: stdout is left to what a program prints as output
  // (under the agent both reach the server's log).
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  corral::Flags flags;
  CLI::App app{
      "corral-server: serves one protocol under one concurrency model on one address.\n"
      "Exit codes: 0 stopped cleanly, 1 failed while serving, 78 cannot start with this\n"
      "configuration (do not respawn)."};
  app.set_version_flag("-V,--version", std::string("corral-server ") + corral::base::kVersion);
  // Every ServerSpec field the server uses is a flag, declared once with corralctl's.
  corral::spec::SpecFlags spec_flags(app, corral::spec::SpecFlags::Fields::kServer);
  app.add_option("--spec-fd", flags.spec_fd,
                 "descriptor holding the whole spec, binary corral.v1.ServerSpec, instead of the "
                 "spec flags (used by corral-agent)");
  app.add_option("--scoreboard", flags.scoreboard,
                 "file to keep live stats in (created; read by corral-agent)");
  app.add_option("--scoreboard-fd", flags.scoreboard_fd,
                 "with --scoreboard: fill in this empty file (created and named by corral-agent, "
                 "since a server running as another user cannot create files in its home)");
  app.add_option("--scoreboard-generation", flags.scoreboard_generation,
                 "with --scoreboard-fd: the generation to write (one more than the replaced "
                 "file's, which the server may not be able to read)");
  app.add_option("--notify-fd", flags.notify_fd,
                 "descriptor to report readiness on (used by corral-agent)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : corral::kExitBadConfig;
  }
  // One timestamp per line: under corral-agent (--spec-fd) corral-logger stamps every line of
  // the output (the access log's and a plugin's too), so spdlog's own would be a second one.
  if (flags.spec_fd >= 0) spdlog::set_pattern("[%l] %v");
  int code = corral::Run(flags, spec_flags);
  // Leave without running static destructors: a worker thread cut at the drain deadline may
  // still be unwinding, and must not find the process half torn down.
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}
