// The Supervisor's views of a record: the state file it saves and restores, the v1::Server
// clients see, and the events it publishes.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/server_record.h"
#include "agent/state_file.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/spec_validation.h"

namespace corral::agent {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  int64_t ns = absl::ToUnixNanos(t);
  ts.set_seconds(ns / 1'000'000'000);
  ts.set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
  return ts;
}

v1::State ToProtoState(ServerState state) {
  switch (state) {
    case ServerState::kStarting:
      return v1::STATE_STARTING;
    case ServerState::kRunning:
      return v1::STATE_RUNNING;
    case ServerState::kBackoff:
      return v1::STATE_BACKOFF;
    case ServerState::kStopping:
      return v1::STATE_STOPPING;
    case ServerState::kStopped:
      return v1::STATE_STOPPED;
    case ServerState::kFailed:
      return v1::STATE_FAILED;
    case ServerState::kFatal:
      return v1::STATE_FATAL;
  }
  return v1::STATE_UNSPECIFIED;
}

// What the operator asked for, as far as the current state tells.
v1::State DesiredOf(ServerState state) {
  switch (state) {
    case ServerState::kStarting:
    case ServerState::kRunning:
    case ServerState::kBackoff:
      return v1::STATE_RUNNING;
    case ServerState::kFailed:
      return v1::STATE_FAILED;
    case ServerState::kFatal:
      return v1::STATE_FATAL;
    default:
      return v1::STATE_STOPPED;
  }
}

void SetExit(const ExitInfo& exit, v1::ExitStatus* out) {
  if (exit.unknown) {
    out->set_unknown(true);
  } else if (exit.signaled) {
    out->set_signal(exit.signal);
  } else {
    out->set_code(exit.code);
  }
  out->set_core_dumped(exit.core_dumped);
  *out->mutable_time() = ToTimestamp(exit.time);
}

}  // namespace

v1::ServerRecord Supervisor::ToRecord(const Record& record, v1::State desired) const {
  v1::ServerRecord saved;
  *saved.mutable_spec() = record.spec;
  saved.set_desired(desired);
  if (desired == v1::STATE_FAILED || desired == v1::STATE_FATAL) saved.set_reason(record.reason);
  saved.set_pid(record.pid);
  saved.set_pid_start_ticks(record.pid_start_ticks);
  saved.set_bound_address(record.bound_address);
  if (record.pid != 0) *saved.mutable_start_time() = ToTimestamp(record.start_time);
  saved.set_restarts(record.restarts);
  for (const HeldSocket& held : record.sockets) *saved.add_sockets() = held.socket;
  for (const v1::ListenSocket& socket : record.rebind) *saved.add_sockets() = socket;
  saved.set_ready(record.ready);
  return saved;
}

absl::Status Supervisor::SaveState(const std::string& name, const v1::ServerRecord* replacement) {
  if (saves_paused_) return absl::OkStatus();
  v1::StateFile state;
  bool placed = false;
  for (const auto& [record_name, record] : servers_) {
    if (record_name == name) {
      if (replacement != nullptr) *state.add_servers() = *replacement;
      placed = true;
    } else {
      *state.add_servers() = ToRecord(*record, DesiredOf(record->state));
    }
  }
  if (!placed && replacement != nullptr) *state.add_servers() = *replacement;
  std::string bytes;
  state.SerializeToString(&bytes);
  if (bytes == last_saved_) return absl::OkStatus();
  absl::Status status = SaveStateFile(StateFilePath(config_.home), state);
  if (status.ok()) last_saved_ = std::move(bytes);
  return status;
}

void Supervisor::SaveStateOrWarn() {
  if (absl::Status s = SaveState("", nullptr); !s.ok()) {
    spdlog::warn("{}; a restarted agent may not adopt every server", std::string(s.message()));
  }
}

void Supervisor::Restore(const v1::StateFile& state) {
  saves_paused_ = true;
  for (const v1::ServerRecord& saved : state.servers()) {
    // Specs were valid when saved; validating again fills defaults added since.
    absl::StatusOr<v1::ServerSpec> spec = spec::ValidateSpec(saved.spec());
    if (!spec.ok() || Find(saved.spec().name()) != nullptr) {
      spdlog::warn("state file: skipping server \"{}\": {}", saved.spec().name(),
                   spec.ok() ? "duplicate name" : std::string(spec.status().message()));
      continue;
    }
    Record& record = Add(*spec);
    record.restarts = saved.restarts();
    const bool alive = TryAdopt(record, saved);
    switch (saved.desired()) {
      case v1::STATE_RUNNING:
        if (!alive) Dispatch(record, ServerEvent::kStartRequested);
        break;
      case v1::STATE_FAILED:
      case v1::STATE_FATAL:
        if (alive) Dispatch(record, ServerEvent::kStopRequested);
        record.state =
            saved.desired() == v1::STATE_FAILED ? ServerState::kFailed : ServerState::kFatal;
        record.reason = saved.reason();
        break;
      default:
        if (alive) Dispatch(record, ServerEvent::kStopRequested);
        break;
    }
  }
  saves_paused_ = false;
  SaveStateOrWarn();
}

v1::Server Supervisor::ToProto(const Record& record) const {
  v1::Server server;
  *server.mutable_spec() = record.spec;
  server.set_state(ToProtoState(record.state));
  server.set_pid(record.pid);
  server.set_bound_address(record.bound_address);
  if (record.pid != 0) *server.mutable_start_time() = ToTimestamp(record.start_time);
  server.set_restarts(record.restarts);
  if (record.last_exit) SetExit(*record.last_exit, server.mutable_last_exit());
  server.set_reason(record.reason);
  if (record.state == ServerState::kBackoff) {
    *server.mutable_next_start_time() = ToTimestamp(record.next_start_time);
  }
  server.set_consecutive_failures(record.consecutive_failures);
  server.set_adopted(record.adopted);
  server.set_status(record.status);
  for (const HeldSocket& held : record.sockets) *server.add_sockets() = held.socket;
  for (const v1::ListenSocket& socket : record.rebind) *server.add_sockets() = socket;
  return server;
}

void Supervisor::Publish(const Record& record, v1::Event::Kind kind) {
  // Built even with no watcher: the bus keeps it for `corralctl events -n`.
  v1::Event event;
  event.set_kind(kind);
  event.set_name(record.spec.name());
  *event.mutable_time() = ToTimestamp(absl::Now());
  event.set_state(ToProtoState(record.state));
  event.set_pid(record.pid);
  event.set_bound_address(record.bound_address);
  if (kind == v1::Event::EXITED && record.last_exit)
    SetExit(*record.last_exit, event.mutable_exit());
  if (kind == v1::Event::FATAL || kind == v1::Event::FAILED || kind == v1::Event::BACKOFF ||
      kind == v1::Event::UNHEALTHY) {
    event.set_reason(record.reason);
  }
  if (kind == v1::Event::BACKOFF) {
    *event.mutable_next_start_time() = ToTimestamp(record.next_start_time);
  }
  events_.Publish(event);
}

}  // namespace corral::agent
