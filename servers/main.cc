// corral-server: serves one protocol under one concurrency model on one address, standalone or
// spawned by corral-agent. Exit codes: servers/exit_codes.h.
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
#include "servers/exit_codes.h"
#include "servers/models/model.h"
#include "servers/net/per_client_limit.h"
#include "servers/net/socket.h"
#include "servers/net/syscall_error.h"
#include "servers/protocols/make_protocol.h"
#include "servers/readiness.h"
#include "servers/server_kinds.h"
#include "servers/stats/scoreboard.h"
#include "spdlog/spdlog.h"

namespace corral {
namespace {

// How long the kernel holds a silent connection of a protocol that AcceptsOnFirstBytes before
// the server sees it anyway: the shortest Linux offers (one SYN-ACK retransmission).
constexpr int kDeferAcceptSeconds = 1;

struct Flags {
  std::string protocol = "tcp-echo";
  std::string model = "thread";
  std::string listen = "127.0.0.1:0";
  std::string root;
  uint32_t max_workers = 1024;
  uint32_t idle_timeout_ms = 60'000;
  uint32_t header_timeout_ms = 0;
  uint32_t body_grace_ms = 10'000;
  uint32_t body_min_rate = 1024;
  uint32_t max_connections_per_client = 64;
  uint32_t file_cache_valid_ms = 1'000;
  uint32_t drain_timeout_ms = 5'000;
  uint32_t pool_size = 0;
  uint32_t hubs = 0;
  bool allow_overwrite = false;
  uint64_t max_upload_bytes = 1ull << 30;
  std::string scoreboard;
  int notify_fd = -1;
};

// Reports a start failure to the supervisor (if any) and to stderr, and returns the exit code.
int FailStart(const Flags& flags, const std::string& reason) {
  spdlog::error("cannot start: {}", reason);
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

int Run(const Flags& flags) {
  std::optional<ProtocolKind> protocol_kind = ParseProtocolName(flags.protocol);
  std::optional<ModelKind> model_kind = ParseModelName(flags.model);
  if (!protocol_kind) {
    return FailStart(flags, absl::StrCat("unknown protocol \"", flags.protocol, "\""));
  }
  if (!model_kind) return FailStart(flags, absl::StrCat("unknown model \"", flags.model, "\""));
  if (!IsImplemented(*protocol_kind, *model_kind)) {
    return FailStart(flags, absl::StrCat("protocol \"", flags.protocol, "\" under model \"",
                                         flags.model, "\" is not built yet"));
  }
  absl::StatusOr<net::Address> address = net::Address::Parse(flags.listen);
  if (!address.ok()) return FailStart(flags, std::string(address.status().message()));

  protocols::ProtocolConfig protocol_config;
  protocol_config.root = flags.root;
  protocol_config.allow_overwrite = flags.allow_overwrite;
  protocol_config.max_upload_bytes = flags.max_upload_bytes;
  protocol_config.idle_timeout = std::chrono::milliseconds(flags.idle_timeout_ms);
  protocol_config.header_timeout = std::chrono::milliseconds(flags.header_timeout_ms);
  protocol_config.file_cache_valid = std::chrono::milliseconds(flags.file_cache_valid_ms);
  protocol_config.body_rate = {std::chrono::milliseconds(flags.body_grace_ms), flags.body_min_rate};
  absl::StatusOr<protocols::AnyProtocol> protocol =
      protocols::MakeProtocol(*protocol_kind, protocol_config);
  if (!protocol.ok()) return FailStart(flags, std::string(protocol.status().message()));

  models::ModelOptions model_options;
  model_options.max_workers = flags.max_workers;
  model_options.drain_timeout = std::chrono::milliseconds(flags.drain_timeout_ms);
  model_options.pool_size = flags.pool_size;
  model_options.hubs = flags.hubs;

  // Created before any worker exists, so forked children inherit the mapping.
  std::optional<stats::Scoreboard> scoreboard;
  if (!flags.scoreboard.empty()) {
    absl::StatusOr<stats::Scoreboard> created =
        stats::Scoreboard::Create({.path = flags.scoreboard,
                                   .slot_count = models::SlotsNeeded(*model_kind, model_options),
                                   .protocol = flags.protocol,
                                   .model = flags.model});
    if (!created.ok()) return FailStart(flags, std::string(created.status().message()));
    scoreboard.emplace(*std::move(created));
    model_options.scoreboard = &*scoreboard;
  }
  // Made before any worker exists, so forked pool workers share its counts.
  std::unique_ptr<net::PerClientLimit> per_client_limit;
  if (flags.max_connections_per_client > 0) {
    absl::StatusOr<std::unique_ptr<net::PerClientLimit>> made =
        net::PerClientLimit::Create(flags.max_connections_per_client, model_options.scoreboard);
    if (!made.ok()) return FailStart(flags, std::string(made.status().message()));
    per_client_limit = *std::move(made);
    model_options.per_client_limit = per_client_limit.get();
  }
  absl::StatusOr<std::unique_ptr<models::Model>> model =
      models::MakeModel(*model_kind, model_options);
  if (!model.ok()) return FailStart(flags, std::string(model.status().message()));

  int stop_fd = StopSignalFd();
  if (stop_fd < 0) return FailStart(flags, net::SyscallError("signalfd", errno).ToString());

  const bool datagrams =
      std::holds_alternative<std::unique_ptr<protocols::DatagramProtocol>>(*protocol);
  // The coroutine model gives each hub its own socket on the port (SO_REUSEPORT).
  const bool shared_port = *model_kind == ModelKind::kCoroutine;
  net::ListenOptions listen_options;
  listen_options.reuse_port = shared_port;
  if (!datagrams &&
      std::get<std::unique_ptr<protocols::StreamProtocol>>(*protocol)->AcceptsOnFirstBytes()) {
    // A client that connects and stays silent is seen after this long, and its idle timeout
    // runs from then.
    listen_options.defer_accept_seconds = kDeferAcceptSeconds;
  }
  absl::StatusOr<net::UniqueFd> socket =
      datagrams ? net::BindUdp(*address, shared_port) : net::ListenTcp(*address, listen_options);
  if (!socket.ok()) return FailStart(flags, std::string(socket.status().message()));
  absl::StatusOr<net::Address> bound = net::LocalAddress(socket->get());
  if (!bound.ok()) return FailStart(flags, std::string(bound.status().message()));

  spdlog::info("serving {} ({} model{}) on {}", flags.protocol, flags.model,
               flags.pool_size > 0 ? absl::StrCat(", pool of ", flags.pool_size) : "",
               bound->ToString());
  if (scoreboard) scoreboard->SetListenerState(stats::ListenerState::kAccepting);
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
  corral::Flags flags;
  CLI::App app{
      "corral-server: serves one protocol under one concurrency model on one address.\n"
      "Exit codes: 0 stopped cleanly, 1 failed while serving, 78 cannot start with this\n"
      "configuration (do not respawn)."};
  app.add_option("--protocol", flags.protocol, "tcp-echo | udp-echo | http | file")
      ->capture_default_str();
  app.add_option("--model", flags.model, "fork | thread | coroutine")->capture_default_str();
  app.add_option("--listen", flags.listen, "HOST:PORT; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--root", flags.root, "directory served by the http and file protocols");
  app.add_option("--max-workers", flags.max_workers, "most connections served at once")
      ->capture_default_str()
      ->check(CLI::Range(1u, 65536u));
  app.add_option("--idle-timeout-ms", flags.idle_timeout_ms,
                 "close a connection silent for this long")
      ->capture_default_str();
  app.add_option("--header-timeout-ms", flags.header_timeout_ms,
                 "http: a request's head must arrive within this long of the accept or the "
                 "previous response, else 408 (0: min(10000, --idle-timeout-ms))")
      ->capture_default_str();
  app.add_option("--body-grace-ms", flags.body_grace_ms,
                 "http and file: a request body or upload may take this long before "
                 "--body-min-rate applies")
      ->capture_default_str();
  app.add_option("--body-min-rate", flags.body_min_rate,
                 "http and file: bytes/s a body must average from its start (after the grace), "
                 "else 408 / closed, so a trickle cannot hold a worker (0: no minimum)")
      ->capture_default_str();
  app.add_option("--max-connections-per-client", flags.max_connections_per_client,
                 "most connections served at once per client address (IPv4 address or IPv6 "
                 "/64); more are closed at once and counted (0: no cap)")
      ->capture_default_str();
  app.add_option(
         "--file-cache-valid-ms", flags.file_cache_valid_ms,
         "http: a small file kept in memory is served this long before its path is "
         "checked again, so a change shows within it (0: check every request; at most an hour)")
      ->capture_default_str()
      ->check(CLI::Range(0u, corral::kMaxFileCacheValidMs));
  app.add_option("--drain-timeout-ms", flags.drain_timeout_ms,
                 "on SIGTERM, how long in-flight connections may finish")
      ->capture_default_str();
  app.add_option("--pool-size", flags.pool_size,
                 "fork/thread: N pre-started workers instead of one per connection")
      ->check(CLI::Range(0u, 4096u));
  app.add_option("--hubs", flags.hubs, "coroutine: hub threads (0: one per CPU)")
      ->check(CLI::Range(0u, 256u));
  app.add_flag("--allow-overwrite", flags.allow_overwrite, "file: uploads may replace files");
  app.add_option("--max-upload-bytes", flags.max_upload_bytes, "file: largest upload accepted")
      ->capture_default_str();
  app.add_option("--scoreboard", flags.scoreboard,
                 "file to keep live stats in (created; read by corral-agent)");
  app.add_option("--notify-fd", flags.notify_fd,
                 "descriptor to report readiness on (used by corral-agent)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : corral::kExitBadConfig;
  }
  int code = corral::Run(flags);
  // Leave without running static destructors: a worker thread cut at the drain deadline may
  // still be unwinding, and must not find the process half torn down.
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}
