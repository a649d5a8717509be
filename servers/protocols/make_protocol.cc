#include "servers/protocols/make_protocol.h"

#include <chrono>

#include "servers/protocols/file/file_protocol.h"
#include "servers/protocols/http/http_protocol.h"
#include "servers/protocols/tcp_echo.h"
#include "servers/protocols/udp_echo.h"

namespace corral::protocols {
namespace {

net::BodyRate BodyRateOf(const v1::ServerSpec& spec) {
  return {std::chrono::milliseconds(spec.body_grace_ms()), spec.body_min_rate()};
}

}  // namespace

absl::StatusOr<AnyProtocol> MakeProtocol(const v1::ServerSpec& spec) {
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
    default:
      break;
  }
  return absl::InvalidArgumentError("unknown protocol; use one of tcp-echo, udp-echo, http, file, tcp, udp");
}

}  // namespace corral::protocols
