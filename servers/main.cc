// corral-server: serves one protocol under one concurrency model on one address, standalone or
// spawned by corral-agent. Exit codes: servers/exit_codes.h.
#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "servers/exit_codes.h"
#include "servers/models/model.h"
#include "servers/net/socket.h"
#include "servers/net/syscall_error.h"
#include "servers/protocols/tcp_echo.h"
#include "servers/readiness.h"
#include "servers/server_kinds.h"
#include "spdlog/spdlog.h"

namespace corral {
namespace {

struct Flags {
  std::string protocol = "tcp-echo";
  std::string model = "thread";
  std::string listen = "127.0.0.1:0";
  std::string root;
  uint32_t max_workers = 1024;
  uint32_t idle_timeout_ms = 60'000;
  uint32_t drain_timeout_ms = 5'000;
  int notify_fd = -1;
};

// Reports a start failure to the supervisor (if any) and to stderr, and returns the exit code.
int FailStart(const Flags& flags, const std::string& reason) {
  spdlog::error("cannot start: {}", reason);
  SendReadiness(flags.notify_fd, Readiness{false, reason});
  return kExitBadConfig;
}

// Blocks the stop signals in every thread (threads inherit the mask) and returns a descriptor
// that becomes readable when one arrives: the models poll it; no handler runs.
int StopSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int Run(const Flags& flags) {
  std::optional<ProtocolKind> protocol = ParseProtocolName(flags.protocol);
  std::optional<ModelKind> model = ParseModelName(flags.model);
  if (!protocol) return FailStart(flags, absl::StrCat("unknown protocol \"", flags.protocol, "\""));
  if (!model) return FailStart(flags, absl::StrCat("unknown model \"", flags.model, "\""));
  if (!IsImplemented(*protocol, *model)) {
    return FailStart(flags, absl::StrCat("protocol \"", flags.protocol, "\" under model \"",
                                         flags.model, "\" is not built yet"));
  }

  absl::StatusOr<net::Address> address = net::Address::Parse(flags.listen);
  if (!address.ok()) return FailStart(flags, std::string(address.status().message()));

  int stop_fd = StopSignalFd();
  if (stop_fd < 0) return FailStart(flags, net::SyscallError("signalfd", errno).ToString());

  models::ModelOptions model_options;
  model_options.max_workers = flags.max_workers;
  model_options.drain_timeout = std::chrono::milliseconds(flags.drain_timeout_ms);
  absl::StatusOr<std::unique_ptr<models::Model>> server_model =
      models::MakeModel(*model, model_options);
  if (!server_model.ok()) return FailStart(flags, std::string(server_model.status().message()));

  protocols::ProtocolOptions protocol_options;
  protocol_options.idle_timeout = std::chrono::milliseconds(flags.idle_timeout_ms);
  protocols::TcpEcho echo(protocol_options);

  absl::StatusOr<net::UniqueFd> listener = net::ListenTcp(*address);
  if (!listener.ok()) return FailStart(flags, std::string(listener.status().message()));
  absl::StatusOr<net::Address> bound = net::LocalAddress(listener->get());
  if (!bound.ok()) return FailStart(flags, std::string(bound.status().message()));

  spdlog::info("serving {} ({} model) on {}", flags.protocol, flags.model, bound->ToString());
  SendReadiness(flags.notify_fd, Readiness{true, bound->ToString()});

  absl::Status served = (*server_model)->Serve(std::move(*listener), stop_fd, echo);
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
  app.add_option("--drain-timeout-ms", flags.drain_timeout_ms,
                 "on SIGTERM, how long in-flight connections may finish")
      ->capture_default_str();
  app.add_option("--notify-fd", flags.notify_fd,
                 "descriptor to report readiness on (used by corral-agent)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : corral::kExitBadConfig;
  }
  return corral::Run(flags);
}
