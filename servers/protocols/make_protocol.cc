#include "servers/protocols/make_protocol.h"

#include <unistd.h>

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "servers/protocols/exec/exec_protocol.h"
#include "servers/protocols/file/file_protocol.h"
#include "servers/protocols/http/http_protocol.h"
#include "servers/protocols/tcp_echo.h"
#include "servers/protocols/udp_echo.h"
#include "servers/server_kinds.h"
#include "spec/spec_defaults.h"

namespace corral::protocols {
namespace {

net::BodyRate BodyRateOf(const v1::ServerSpec& spec) {
  return {std::chrono::milliseconds(spec.body_grace_ms()), spec.body_min_rate()};
}

// inetd mode: the program and how its worker waits for it, which depends on the model.
absl::StatusOr<AnyProtocol> MakeExec(const v1::ServerSpec& spec) {
  exec::ExecOptions options;
  options.argv.assign(spec.exec_argv().begin(), spec.exec_argv().end());
  options.lifetime = std::chrono::milliseconds(spec.idle_timeout_ms());
  options.drain_timeout = std::chrono::milliseconds(spec::DrainTimeoutMs(spec.stop_timeout_ms()));
  options.workers = spec.model() == v1::MODEL_FORK        ? exec::ExecOptions::Workers::kProcesses
                    : spec.model() == v1::MODEL_COROUTINE ? exec::ExecOptions::Workers::kGreenlets
                                                          : exec::ExecOptions::Workers::kThreads;
  absl::StatusOr<std::unique_ptr<exec::ExecProtocol>> made = exec::ExecProtocol::Create(options);
  if (!made.ok()) return made.status();
  return AnyProtocol(std::unique_ptr<StreamProtocol>(*std::move(made)));
}

// The http access log, on the server's stdout: on unless the spec turns it off.
std::shared_ptr<const http::AccessLog> AccessLogOf(const v1::ServerSpec& spec) {
  if (spec.has_access_log() && !spec.access_log()) return nullptr;
  return http::AccessLog::Open(STDOUT_FILENO);
}

}  // namespace

absl::StatusOr<AnyProtocol> MakeProtocol(const v1::ServerSpec& spec,
                                         std::shared_ptr<const http::RouteTable> routes) {
  using std::chrono::milliseconds;
  switch (spec.protocol()) {
    case v1::PROTOCOL_TCP_ECHO: {
      ProtocolOptions options;
      options.idle_timeout = milliseconds(spec.idle_timeout_ms());
      return AnyProtocol(std::make_unique<TcpEcho>(options));
    }
    case v1::PROTOCOL_UDP_ECHO:
      return AnyProtocol(std::make_unique<UdpEcho>());
    case v1::PROTOCOL_HTTP: {
      http::HttpOptions options;
      options.root = spec.root();
      options.idle_timeout = milliseconds(spec.idle_timeout_ms());
      options.header_timeout = milliseconds(spec.header_timeout_ms());
      options.file_cache_valid = milliseconds(spec.file_cache_valid_ms());
      options.body_rate = BodyRateOf(spec);
      options.routes = std::move(routes);
      options.access_log = AccessLogOf(spec);
      absl::StatusOr<std::unique_ptr<http::HttpProtocol>> http =
          http::HttpProtocol::Create(std::move(options));
      if (!http.ok()) return http.status();
      return AnyProtocol(std::unique_ptr<StreamProtocol>(*std::move(http)));
    }
    case v1::PROTOCOL_FILE: {
      file::FileOptions options;
      options.root = spec.root();
      options.allow_overwrite = spec.allow_overwrite();
      options.max_upload_bytes = spec.max_upload_bytes();
      options.idle_timeout = milliseconds(spec.idle_timeout_ms());
      options.body_rate = BodyRateOf(spec);
      absl::StatusOr<std::unique_ptr<file::FileProtocol>> served =
          file::FileProtocol::Create(std::move(options));
      if (!served.ok()) return served.status();
      return AnyProtocol(std::unique_ptr<StreamProtocol>(*std::move(served)));
    }
    case v1::PROTOCOL_EXEC:
      return MakeExec(spec);
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown protocol; use one of ", ProtocolNameList()));
}

}  // namespace corral::protocols
