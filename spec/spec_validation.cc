#include "spec/spec_validation.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "servers/net/address.h"
#include "servers/stats/layout.h"
#include "spec/command_validation.h"
#include "spec/exec_program.h"
#include "spec/fill_defaults.h"
#include "spec/health_mode.h"
#include "spec/rollout_fields.h"
#include "spec/spec_kinds.h"

namespace corral::spec {
namespace {

constexpr size_t kMaxNameLength = 63;

// The caller knows which server it asked for, so messages do not repeat the name.
absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

absl::Status CheckName(const std::string& name) {
  if (name.empty()) return Invalid("name is empty; give the server a name such as \"web\"");
  if (name.size() > kMaxNameLength) {
    return Invalid(absl::StrCat("name is longer than ", kMaxNameLength, " characters"));
  }
  if (!absl::ascii_isalnum(name[0])) {
    return Invalid("name must start with a letter or a digit");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return Invalid("name may contain only letters, digits, '-', '_' and '.'");
    }
  }
  return absl::OkStatus();
}

// depends_on (issue 23): names only; whether they exist is the config file's (or the agent's)
// concern, since a dependency may be added after its dependent.
absl::Status CheckDependsOn(const v1::ServerSpec& spec) {
  absl::flat_hash_set<std::string> seen;
  for (const std::string& dependency : spec.depends_on()) {
    if (absl::Status s = CheckName(dependency); !s.ok()) {
      return Invalid(absl::StrCat("depends_on \"", dependency, "\": ", s.message()));
    }
    if (dependency == spec.name()) return Invalid("depends_on names the server itself");
    if (!seen.insert(dependency).second) {
      return Invalid(absl::StrCat("depends_on names \"", dependency, "\" twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRange(const char* field, uint32_t value, uint32_t max) {
  if (value > max) {
    return Invalid(absl::StrCat(field, " ", value, " is above the limit of ", max));
  }
  return absl::OkStatus();
}

// With stats, each worker holds a slot of the server's stats scoreboard, and one slot is kept
// spare (models::SlotsNeeded), so a larger cap would make every start fail.
absl::Status CheckMaxWorkers(uint32_t max_workers, Stats kept) {
  if (kept == Stats::kNotKept) return CheckRange("max_workers", max_workers, kMaxMaxWorkers);
  constexpr uint32_t kMaxWorkers = stats::kMaxSlots - 1;
  if (max_workers > kMaxWorkers) {
    return Invalid(absl::StrCat("max_workers ", max_workers, " is above the limit of ", kMaxWorkers,
                                ": the stats scoreboard holds ", stats::kMaxSlots,
                                " slots, one per worker plus a spare"));
  }
  return absl::OkStatus();
}

// instances (issue 21 item 5): 0 means one; each copy is a process tree of its own, so the
// bound keeps a typo from forking hundreds.
absl::Status CheckInstances(const v1::ServerSpec& spec) {
  constexpr uint32_t kMaxInstances = 64;
  return CheckRange("instances", spec.instances(), kMaxInstances);
}

// Checks the supervision fields' ranges (their defaults filled in).
absl::Status CheckPolicy(const v1::ServerSpec& spec) {
  if (!v1::RestartPolicy_IsValid(spec.restart_policy())) {
    return Invalid("unknown restart_policy; use never, on-failure or always");
  }
  struct Limit {
    const char* field;
    uint32_t value, max;
  } limits[] = {
      {"backoff_initial_ms", spec.backoff_initial_ms(), kMaxBackoffInitialMs},
      {"backoff_max_ms", spec.backoff_max_ms(), kMaxBackoffMaxMs},
      {"stable_after_ms", spec.stable_after_ms(), kMaxStableAfterMs},
      {"max_failures", spec.max_failures(), kMaxMaxFailures},
      {"ready_timeout_ms", spec.ready_timeout_ms(), kMaxReadyTimeoutMs},
      {"log_keep_files", spec.log_keep_files(), kMaxLogKeepFiles},
  };
  for (const Limit& limit : limits) {
    if (absl::Status s = CheckRange(limit.field, limit.value, limit.max); !s.ok()) return s;
  }
  if (spec.backoff_initial_ms() > spec.backoff_max_ms()) {
    return Invalid(absl::StrCat("backoff_initial_ms ", spec.backoff_initial_ms(),
                                " is above backoff_max_ms ", spec.backoff_max_ms()));
  }
  if (spec.log_max_bytes() < kMinLogMaxBytes || spec.log_max_bytes() > kMaxLogMaxBytes) {
    return Invalid(absl::StrCat("log_max_bytes ", spec.log_max_bytes(), " is outside ",
                                kMinLogMaxBytes, " to ", kMaxLogMaxBytes));
  }
  return CheckInstances(spec);
}

absl::Status CheckFileFields(ProtocolKind protocol, const v1::ServerSpec& spec) {
  if (protocol != ProtocolKind::kFile) {
    if (spec.allow_overwrite() || spec.max_upload_bytes()) {
      return Invalid("allow_overwrite and max_upload_bytes apply to the file protocol only");
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status CheckHttpFields(ProtocolKind protocol, const v1::ServerSpec& spec) {
  if (protocol != ProtocolKind::kHttp) {
    // Set, even to zero, is refused: only http has the cache.
    if (spec.has_file_cache_valid_ms()) {
      return Invalid("file_cache_valid_ms applies to the http protocol only");
    }
    if (spec.header_timeout_ms() != 0) {
      return Invalid("header_timeout_ms applies to the http protocol only");
    }
    return absl::OkStatus();
  }
  if (absl::Status s =
          CheckRange("file_cache_valid_ms", spec.file_cache_valid_ms(), kMaxFileCacheValidMs);
      !s.ok()) {
    return s;
  }
  return CheckRange("header_timeout_ms", spec.header_timeout_ms(), kMaxHeaderTimeoutMs);
}

// stall_bound_ms: the coroutine model's alone (fork and thread have no hub to hold).
absl::Status CheckStallBound(ModelKind model, const v1::ServerSpec& spec) {
  if (model != ModelKind::kCoroutine) {
    if (spec.has_stall_bound_ms()) {
      return Invalid("stall_bound_ms applies to the coroutine model; fork and thread have no hub");
    }
    return absl::OkStatus();
  }
  return CheckRange("stall_bound_ms", spec.stall_bound_ms(), kMaxStallBoundMs);
}

// The limits on what one client can hold: its connections, and the pace of its bodies.
absl::Status CheckClientLimits(ProtocolKind protocol, const v1::ServerSpec& spec) {
  if (IsDatagramProtocol(protocol)) {
    if (spec.has_max_connections_per_client()) {
      return Invalid(
          absl::StrCat("max_connections_per_client applies to connection protocols, not ",
                       std::string(ProtocolName(protocol))));
    }
  }
  if (absl::Status s = CheckRange("max_connections_per_client", spec.max_connections_per_client(),
                                  kMaxMaxConnectionsPerClient);
      !s.ok()) {
    return s;
  }
  if (protocol != ProtocolKind::kHttp && protocol != ProtocolKind::kFile) {
    if (spec.has_body_grace_ms() || spec.has_body_min_rate()) {
      return Invalid("body_grace_ms and body_min_rate apply to the http and file protocols only");
    }
    return absl::OkStatus();
  }
  return CheckRange("body_grace_ms", spec.body_grace_ms(), kMaxBodyGraceMs);
}

// The socket's receive buffer: datagram protocols only, at most 1 GiB (net/receive_buffer.h).
absl::Status CheckReceiveBuffer(ProtocolKind protocol, const v1::ServerSpec& spec) {
  constexpr uint32_t kMaxReceiveBufferBytes = 1u << 30;
  if (spec.receive_buffer_bytes() == 0) return absl::OkStatus();
  if (!IsDatagramProtocol(protocol)) {
    return Invalid(absl::StrCat("receive_buffer_bytes applies to datagram protocols, not ",
                                std::string(ProtocolName(protocol))));
  }
  return CheckRange("receive_buffer_bytes", spec.receive_buffer_bytes(), kMaxReceiveBufferBytes);
}

// The handler plugin: required by tcp and udp, optional for http, refused elsewhere; its path
// is stored absolute, as root's is, so the agent and the server resolve it alike.
absl::Status CheckHandlerFields(ProtocolKind protocol, v1::ServerSpec& spec) {
  const std::string protocol_name(ProtocolName(protocol));
  if (spec.handler().empty()) {
    if (NeedsHandler(protocol)) {
      return Invalid(absl::StrCat("protocol ", protocol_name,
                                  " is served by a handler plugin; give one with --handler PATH"));
    }
    if (!spec.handler_args().empty()) {
      return Invalid("handler_args apply to a handler plugin; give one with --handler PATH");
    }
    return absl::OkStatus();
  }
  if (!AcceptsHandler(protocol)) {
    return Invalid(absl::StrCat("protocol ", protocol_name,
                                " takes no handler plugin; use tcp, udp or http with --handler"));
  }
  std::error_code ec;
  std::filesystem::path handler = std::filesystem::absolute(spec.handler(), ec);
  spec.set_handler(handler.lexically_normal().string());
  for (const auto& [key, value] : spec.handler_args()) {
    if (key.empty()) return Invalid("a handler_arg has an empty key; use KEY=VALUE");
  }
  return absl::OkStatus();
}

// The exec protocol's argv: required by it, refused by the others; its program is resolved
// (PATH looked up, made absolute) and must be executable now, not at the first connection.
absl::Status CheckExecFields(ProtocolKind protocol, v1::ServerSpec& spec) {
  if (protocol != ProtocolKind::kExec) {
    if (spec.exec_argv_size() > 0) return Invalid("exec_argv applies to the exec protocol only");
    return absl::OkStatus();
  }
  if (spec.exec_argv_size() == 0 || spec.exec_argv(0).empty()) {
    return Invalid("protocol exec needs a program to run; give --exec PROGRAM");
  }
  absl::StatusOr<std::string> program = ResolveExecProgram(spec.exec_argv(0), std::getenv("PATH"));
  if (!program.ok()) return program.status();
  spec.set_exec_argv(0, *program);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ServerSpec> ValidateSpec(const v1::ServerSpec& in, Stats stats) {
  v1::ServerSpec spec = in;
  const std::string& name = spec.name();
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  if (absl::Status s = CheckDependsOn(spec); !s.ok()) return s;

  // A command server (issue 21): any program; only the supervision fields are shared.
  if (IsCommandServer(spec)) {
    FillDefaults(spec);
    if (absl::Status s = CheckPolicy(spec); !s.ok()) return s;
    if (absl::Status s = CheckCommandServer(spec); !s.ok()) return s;
    if (absl::Status s = CheckHealthFields(spec, !spec.listen().empty()); !s.ok()) return s;
    if (absl::Status s = CheckRolloutFields(spec, /*command_server=*/true); !s.ok()) return s;
    return spec;
  }
  if (absl::Status s = CheckNoCommandFields(spec); !s.ok()) return s;

  std::optional<ProtocolKind> protocol = ProtocolFromProto(spec.protocol());
  if (!protocol) {
    return Invalid(absl::StrCat("unknown protocol; use one of ", ProtocolNameList()));
  }
  std::optional<ModelKind> model = ModelFromProto(spec.model());
  if (!model) return Invalid("unknown model; use one of fork, thread, coroutine");

  if (spec.listen().empty()) {
    return Invalid("listen address is empty; use HOST:PORT such as 127.0.0.1:8080");
  }
  if (absl::StatusOr<net::Address> a = net::Address::Parse(spec.listen()); !a.ok()) {
    return Invalid(std::string(a.status().message()));
  }

  FillDefaults(spec);
  if (absl::Status s = CheckMaxWorkers(spec.max_workers(), stats); !s.ok()) return s;
  if (absl::Status s = CheckRange("stop_timeout_ms", spec.stop_timeout_ms(), kMaxStopTimeoutMs);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange("idle_timeout_ms", spec.idle_timeout_ms(), kMaxIdleTimeoutMs);
      !s.ok()) {
    return s;
  }

  if (absl::Status s = CheckPolicy(spec); !s.ok()) return s;

  if (absl::Status s = CheckRange("pool_size", spec.pool_size(), kMaxPoolSize); !s.ok()) return s;
  if (absl::Status s = CheckRange("hubs", spec.hubs(), kMaxHubs); !s.ok()) return s;
  if (spec.pool_size() != 0 && *model == ModelKind::kCoroutine) {
    return Invalid("pool_size applies to the fork and thread models; use hubs for coroutine");
  }
  if (spec.hubs() != 0 && *model != ModelKind::kCoroutine) {
    return Invalid("hubs applies to the coroutine model; use pool_size for fork and thread");
  }
  if (absl::Status s = CheckFileFields(*protocol, spec); !s.ok()) return s;
  if (absl::Status s = CheckHttpFields(*protocol, spec); !s.ok()) return s;
  if (absl::Status s = CheckClientLimits(*protocol, spec); !s.ok()) return s;
  if (absl::Status s = CheckStallBound(*model, spec); !s.ok()) return s;
  if (absl::Status s = CheckHandlerFields(*protocol, spec); !s.ok()) return s;
  if (absl::Status s = CheckExecFields(*protocol, spec); !s.ok()) return s;
  if (absl::Status s = CheckHealthFields(spec, !IsDatagramProtocol(*protocol)); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckReceiveBuffer(*protocol, spec); !s.ok()) return s;
  if (absl::Status s = CheckRolloutFields(spec, /*command_server=*/false); !s.ok()) return s;

  if (NeedsRoot(*protocol)) {
    if (spec.root().empty()) {
      return Invalid(absl::StrCat("protocol ", std::string(ProtocolName(*protocol)),
                                  " needs a root directory to serve"));
    }
    std::error_code ec;
    std::filesystem::path root = std::filesystem::absolute(spec.root(), ec);
    spec.set_root(root.lexically_normal().string());
  } else if (!spec.root().empty()) {
    return Invalid(absl::StrCat("protocol ", std::string(ProtocolName(*protocol)),
                                " serves no files; leave root empty"));
  }

  if (!IsImplemented(*protocol, *model)) {
    return absl::UnimplementedError(absl::StrCat("protocol ", std::string(ProtocolName(*protocol)),
                                                 " under model ", std::string(ModelName(*model)),
                                                 " is not built yet"));
  }
  return spec;
}

}  // namespace corral::spec
