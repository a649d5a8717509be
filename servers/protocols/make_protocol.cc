#include "servers/protocols/make_protocol.h"

#include "absl/strings/str_cat.h"
#include "servers/protocols/file/file_protocol.h"
#include "servers/protocols/http/http_protocol.h"
#include "servers/protocols/tcp_echo.h"
#include "servers/protocols/udp_echo.h"

namespace corral::protocols {

absl::StatusOr<AnyProtocol> MakeProtocol(ProtocolKind kind, const ProtocolConfig& config) {
  ProtocolOptions options;
  options.idle_timeout = config.idle_timeout;
  switch (kind) {
    case ProtocolKind::kTcpEcho:
      return AnyProtocol(std::make_unique<TcpEcho>(options));
    case ProtocolKind::kUdpEcho:
      return AnyProtocol(std::make_unique<UdpEcho>());
    case ProtocolKind::kHttp: {
      http::HttpOptions http_options;
      http_options.root = config.root;
      http_options.idle_timeout = config.idle_timeout;
      http_options.header_timeout = config.header_timeout;
      http_options.body_rate = config.body_rate;
      http_options.file_cache_valid = config.file_cache_valid;
      absl::StatusOr<std::unique_ptr<http::HttpProtocol>> http =
          http::HttpProtocol::Create(std::move(http_options));
      if (!http.ok()) return http.status();
      return AnyProtocol(std::unique_ptr<StreamProtocol>(*std::move(http)));
    }
    case ProtocolKind::kFile: {
      file::FileOptions file_options;
      file_options.root = config.root;
      file_options.allow_overwrite = config.allow_overwrite;
      file_options.max_upload_bytes = config.max_upload_bytes;
      file_options.idle_timeout = config.idle_timeout;
      file_options.body_rate = config.body_rate;
      absl::StatusOr<std::unique_ptr<file::FileProtocol>> served =
          file::FileProtocol::Create(std::move(file_options));
      if (!served.ok()) return served.status();
      return AnyProtocol(std::unique_ptr<StreamProtocol>(*std::move(served)));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown protocol \"", std::string(ProtocolName(kind)), "\""));
}

}  // namespace corral::protocols
