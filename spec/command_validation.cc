#include "spec/command_validation.h"

#include <filesystem>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "servers/net/address.h"
#include "spec/ready_mode.h"
#include "spec/spec_defaults.h"

namespace corral::spec {
namespace {

constexpr size_t kMaxSocketNameLength = 32;
constexpr uint32_t kMaxUmask = 0777;
constexpr uint32_t kMaxWatchdogMs = 3'600'000;

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status CheckSocketName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxSocketNameLength;
  for (char c : name) {
    ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.');
  }
  if (!ok) {
    return Invalid(absl::StrCat("socket name \"", name, "\": use 1 to ", kMaxSocketNameLength,
                                " letters, digits, '-', '_' or '.'"));
  }
  return absl::OkStatus();
}

absl::Status CheckSockets(v1::ServerSpec& spec) {
  if (spec.sockets_size() + (spec.listen().empty() ? 0 : 1) > kMaxSockets) {
    return Invalid(absl::StrCat("a server takes at most ", kMaxSockets, " sockets"));
  }
  std::set<std::string> names;
  if (!spec.listen().empty()) {
    names.insert("listen");
    if (absl::StatusOr<net::Address> a = net::Address::Parse(spec.listen()); !a.ok()) {
      return Invalid(std::string(a.status().message()));
    }
  }
  for (const v1::ListenSocket& socket : spec.sockets()) {
    if (absl::Status s = CheckSocketName(socket.name()); !s.ok()) return s;
    if (!names.insert(socket.name()).second) {
      return Invalid(absl::StrCat("socket name \"", socket.name(), "\" is given twice"));
    }
    if (absl::StatusOr<net::Address> a = net::Address::Parse(socket.address()); !a.ok()) {
      return Invalid(absl::StrCat("socket \"", socket.name(), "\": ", a.status().message()));
    }
  }
  return absl::OkStatus();
}

// Relative paths are taken relative to the agent's working directory, as `root` is.
std::string Absolute(const std::string& path) {
  std::error_code ec;
  return std::filesystem::absolute(path, ec).lexically_normal().string();
}

}  // namespace

bool IsCommandServer(const v1::ServerSpec& spec) { return spec.command_size() > 0; }

absl::Status CheckCommandServer(v1::ServerSpec& spec) {
  if (spec.command(0).empty()) return Invalid("command: the program is empty");
  if (spec.protocol() != v1::PROTOCOL_UNSPECIFIED || spec.model() != v1::MODEL_UNSPECIFIED ||
      !spec.root().empty() || spec.max_workers() != 0 || spec.idle_timeout_ms() != 0 ||
      spec.pool_size() != 0 || spec.hubs() != 0 || spec.allow_overwrite() ||
      spec.max_upload_bytes() != 0 || spec.has_file_cache_valid_ms() ||
      spec.header_timeout_ms() != 0 || spec.has_max_connections_per_client() ||
      spec.has_body_grace_ms() || spec.has_body_min_rate()) {
    return Invalid(
        "a command server runs its own program: protocol, model, root and the other serving "
        "settings of corral-server do not apply to it");
  }
  if (absl::Status s = CheckSockets(spec); !s.ok()) return s;
  for (const std::string& entry : spec.env()) {
    if (entry.find('=') == std::string::npos || entry[0] == '=') {
      return Invalid(absl::StrCat("env \"", entry, "\" is not KEY=VALUE"));
    }
  }
  if (!spec.env_file().empty()) spec.set_env_file(Absolute(spec.env_file()));
  if (!spec.cwd().empty()) spec.set_cwd(Absolute(spec.cwd()));
  if (spec.has_umask() && spec.umask() > kMaxUmask) {
    return Invalid(absl::StrCat("umask ", spec.umask(), " is above 0777"));
  }
  if (spec.watchdog_ms() > kMaxWatchdogMs) {
    return Invalid(absl::StrCat("watchdog_ms ", spec.watchdog_ms(), " is above the limit of ",
                                kMaxWatchdogMs));
  }
  if (spec.stop_timeout_ms() == 0) spec.set_stop_timeout_ms(kDefaultStopTimeoutMs);
  if (spec.stop_timeout_ms() > kMaxStopTimeoutMs) {
    return Invalid(absl::StrCat("stop_timeout_ms ", spec.stop_timeout_ms(),
                                " is above the limit of ", kMaxStopTimeoutMs));
  }
  if (spec.ready().empty()) spec.set_ready(kDefaultCommandReady);
  absl::StatusOr<ReadyMode> ready = ParseReadyMode(spec.ready());
  if (!ready.ok()) return ready.status();
  if (ready->kind == ReadyMode::kHttp && spec.listen().empty()) {
    return Invalid("ready http:PATH asks the first socket: give a --listen address");
  }
  if (ready->kind == ReadyMode::kDelay && ready->delay_ms >= spec.ready_timeout_ms()) {
    return Invalid(absl::StrCat("ready delay:", ready->delay_ms,
                                " must be shorter than ready_timeout_ms ",
                                spec.ready_timeout_ms()));
  }
  return absl::OkStatus();
}

absl::Status CheckNoCommandFields(const v1::ServerSpec& spec) {
  if (spec.sockets_size() > 0 || spec.env_size() > 0 || !spec.env_file().empty() ||
      !spec.cwd().empty() || spec.has_umask() || spec.max_open_files() != 0 ||
      spec.watchdog_ms() != 0) {
    return Invalid(
        "sockets, env, env_file, cwd, umask, max_open_files and watchdog_ms apply to command "
        "servers only "
        "(give the program after --)");
  }
  if (!spec.ready().empty() && spec.ready() != "notify") {
    return Invalid("corral-server reports its readiness itself: ready applies to command servers");
  }
  return absl::OkStatus();
}

}  // namespace corral::spec
