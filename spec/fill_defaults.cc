#include "spec/fill_defaults.h"

#include <unistd.h>

#include <algorithm>

#include "spec/command_validation.h"
#include "spec/spec_defaults.h"
#include "spec/spec_kinds.h"

namespace corral::spec {
namespace {

// The supervision policy's, which command servers share.
void FillPolicy(v1::ServerSpec& spec) {
  if (spec.restart_policy() == v1::RESTART_POLICY_UNSPECIFIED) {
    spec.set_restart_policy(v1::RESTART_ALWAYS);
  }
  if (spec.backoff_initial_ms() == 0) spec.set_backoff_initial_ms(kDefaultBackoffInitialMs);
  if (spec.backoff_max_ms() == 0) {
    spec.set_backoff_max_ms(std::max(kDefaultBackoffMaxMs, spec.backoff_initial_ms()));
  }
  if (spec.stable_after_ms() == 0) spec.set_stable_after_ms(kDefaultStableAfterMs);
  if (spec.max_failures() == 0) spec.set_max_failures(kDefaultMaxFailures);
  if (spec.ready_timeout_ms() == 0) spec.set_ready_timeout_ms(kDefaultReadyTimeoutMs);
  if (spec.log_max_bytes() == 0) spec.set_log_max_bytes(kDefaultLogMaxBytes);
  if (spec.log_keep_files() == 0) spec.set_log_keep_files(kDefaultLogKeepFiles);
}

void FillProtocol(ProtocolKind protocol, v1::ServerSpec& spec) {
  if (protocol == ProtocolKind::kFile && spec.max_upload_bytes() == 0) {
    spec.set_max_upload_bytes(kDefaultMaxUploadBytes);
  }
  if (protocol == ProtocolKind::kHttp) {
    if (!spec.has_file_cache_valid_ms()) spec.set_file_cache_valid_ms(kDefaultFileCacheValidMs);
    // After idle_timeout_ms: the head's default deadline derives from it.
    if (spec.header_timeout_ms() == 0) {
      spec.set_header_timeout_ms(DefaultHeaderTimeoutMs(spec.idle_timeout_ms()));
    }
  }
  if (!IsDatagramProtocol(protocol) && !spec.has_max_connections_per_client()) {
    spec.set_max_connections_per_client(kDefaultMaxConnectionsPerClient);
  }
  if (protocol == ProtocolKind::kHttp || protocol == ProtocolKind::kFile) {
    if (!spec.has_body_grace_ms()) spec.set_body_grace_ms(kDefaultBodyGraceMs);
    if (!spec.has_body_min_rate()) spec.set_body_min_rate(kDefaultBodyMinRate);
  }
}

void FillModel(ModelKind model, v1::ServerSpec& spec) {
  if (model != ModelKind::kCoroutine) return;
  if (!spec.has_stall_bound_ms()) spec.set_stall_bound_ms(kDefaultStallBoundMs);
  if (spec.hubs() == 0) {
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    spec.set_hubs(std::clamp<long>(cpus, 1, kMaxHubs));
  }
}

}  // namespace

void FillDefaults(v1::ServerSpec& spec) {
  FillPolicy(spec);
  if (IsCommandServer(spec)) return;  // a program: only the supervision fields are ours
  if (spec.max_workers() == 0) spec.set_max_workers(kDefaultMaxWorkers);
  if (spec.stop_timeout_ms() == 0) spec.set_stop_timeout_ms(kDefaultStopTimeoutMs);
  if (spec.idle_timeout_ms() == 0) spec.set_idle_timeout_ms(kDefaultIdleTimeoutMs);
  if (std::optional<ProtocolKind> protocol = ProtocolFromProto(spec.protocol())) {
    FillProtocol(*protocol, spec);
  }
  if (std::optional<ModelKind> model = ModelFromProto(spec.model())) FillModel(*model, spec);
}

}  // namespace corral::spec
