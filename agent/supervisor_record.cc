// The Supervisor's views of a record: the state file it saves and restores, the v1::Server
// clients see, and the events it publishes.
#include <algorithm>

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

ServerState Supervisor::Record::state() const {
  bool all_same = true;
  bool seen[7] = {};
  for (const auto& instance : instances) {
    all_same = all_same && instance->state == first().state;
    seen[static_cast<int>(instance->state)] = true;
  }
  if (seen[static_cast<int>(ServerState::kStopping)]) return ServerState::kStopping;
  if (all_same) return first().state;
  // Mixed: serving if any instance serves (`ls` says how many), else the nearest to serving.
  for (ServerState s : {ServerState::kRunning, ServerState::kStarting, ServerState::kBackoff,
                        ServerState::kFatal, ServerState::kFailed}) {
    if (seen[static_cast<int>(s)]) return s;
  }
  return ServerState::kStopped;
}

v1::ServerRecord Supervisor::ToRecord(const Record& record, v1::State desired) const {
  v1::ServerRecord saved;
  *saved.mutable_spec() = record.spec;
  saved.set_desired(desired);
  const Instance& first = record.first();
  if (desired == v1::STATE_FAILED || desired == v1::STATE_FATAL) saved.set_reason(first.reason);
  // Instance 0 in the fields a state file had before instances, so an older agent adopts it.
  saved.set_pid(first.pid);
  saved.set_pid_start_ticks(first.pid_start_ticks);
  saved.set_bound_address(first.bound_address);
  if (first.pid != 0) *saved.mutable_start_time() = ToTimestamp(first.start_time);
  saved.set_restarts(first.restarts);
  for (const HeldSocket& held : record.sockets) *saved.add_sockets() = held.socket;
  for (const v1::ListenSocket& socket : record.rebind) *saved.add_sockets() = socket;
  saved.set_ready(first.ready);
  if (record.instances.size() > 1) {
    for (const auto& instance : record.instances) {
      v1::InstanceRecord* out = saved.add_instances();
      out->set_index(instance->index);
      out->set_pid(instance->pid);
      out->set_pid_start_ticks(instance->pid_start_ticks);
      if (instance->pid != 0) *out->mutable_start_time() = ToTimestamp(instance->start_time);
      out->set_restarts(instance->restarts);
      out->set_ready(instance->ready);
      out->set_state(ToProtoState(instance->state));
      out->set_reason(instance->reason);
    }
  }
  // A reload's new process, so that an agent restarted mid-reload can kill it (Restore).
  if (record.reload != nullptr && record.reload->candidate != nullptr &&
      record.reload->candidate->pid != 0) {
    const Instance& candidate = *record.reload->candidate;
    v1::InstanceRecord* out = saved.mutable_reload_candidate();
    out->set_index(candidate.index);
    out->set_pid(candidate.pid);
    out->set_pid_start_ticks(candidate.pid_start_ticks);
    *out->mutable_start_time() = ToTimestamp(candidate.start_time);
  }
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
      *state.add_servers() = ToRecord(*record, DesiredOf(record->state()));
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
    KillInterruptedCandidate(saved);
    Record& record = Add(*spec);
    // Every live process first: they hold the sockets, which must be recovered (or their
    // addresses kept) before any instance is spawned on them.
    std::vector<v1::InstanceRecord> processes(record.instances.size());
    std::vector<bool> alive(record.instances.size());
    for (auto& owned : record.instances) {
      Instance& instance = *owned;
      v1::InstanceRecord& process = processes[instance.index];
      if (instance.index < static_cast<uint32_t>(saved.instances_size())) {
        process = saved.instances(static_cast<int>(instance.index));
      } else if (instance.index == 0 && saved.instances_size() == 0) {
        // Written before instances: the server's own fields are its one process.
        process.set_pid(saved.pid());
        process.set_pid_start_ticks(saved.pid_start_ticks());
        *process.mutable_start_time() = saved.start_time();
        process.set_restarts(saved.restarts());
        process.set_ready(saved.ready() || !saved.bound_address().empty());
      }
      instance.restarts = process.restarts();
      if (record.rebind.empty() && process.pid() > 0) {
        // The adopted process has the sockets; this agent has none until they are recovered.
        record.rebind.assign(saved.sockets().begin(), saved.sockets().end());
      }
      alive[instance.index] = TryAdopt(record, instance, process);
    }
    if (std::find(alive.begin(), alive.end(), true) == alive.end()) {
      record.rebind.clear();  // nothing adopted: the next start binds the spec's addresses
    } else {
      RecoverHeldSockets(record);
    }
    for (auto& owned : record.instances) {
      Instance& instance = *owned;
      const v1::InstanceRecord& process = processes[instance.index];
      v1::State desired = saved.desired();
      // An instance the policy gave up on stays so while its siblings run.
      if (desired == v1::STATE_RUNNING &&
          (process.state() == v1::STATE_FATAL || process.state() == v1::STATE_FAILED)) {
        desired = process.state();
      }
      switch (desired) {
        case v1::STATE_RUNNING:
          if (!alive[instance.index]) Dispatch(record, instance, ServerEvent::kStartRequested);
          break;
        case v1::STATE_FAILED:
        case v1::STATE_FATAL:
          if (alive[instance.index]) Dispatch(record, instance, ServerEvent::kStopRequested);
          instance.state = desired == v1::STATE_FAILED ? ServerState::kFailed : ServerState::kFatal;
          instance.reason = process.reason().empty() ? saved.reason() : process.reason();
          break;
        default:
          if (alive[instance.index]) Dispatch(record, instance, ServerEvent::kStopRequested);
          break;
      }
    }
  }
  saves_paused_ = false;
  SaveStateOrWarn();
}

v1::Server Supervisor::ToProto(const Record& record) const {
  v1::Server server;
  *server.mutable_spec() = record.spec;
  server.set_state(ToProtoState(record.state()));
  const Instance& first = record.first();
  server.set_pid(first.pid);
  uint32_t restarts = 0;
  for (const auto& instance : record.instances) {
    restarts += instance->restarts;
    // Any serving instance says where the server listens.
    if (server.bound_address().empty()) server.set_bound_address(instance->bound_address);
  }
  if (first.pid != 0) *server.mutable_start_time() = ToTimestamp(first.start_time);
  server.set_restarts(restarts);
  if (first.last_exit) SetExit(*first.last_exit, server.mutable_last_exit());
  server.set_reason(first.reason);
  if (first.state == ServerState::kBackoff) {
    *server.mutable_next_start_time() = ToTimestamp(first.next_start_time);
  }
  server.set_consecutive_failures(first.consecutive_failures);
  server.set_adopted(first.adopted);
  server.set_status(first.status);
  for (const HeldSocket& held : record.sockets) *server.add_sockets() = held.socket;
  for (const v1::ListenSocket& socket : record.rebind) *server.add_sockets() = socket;
  for (const auto& instance : record.instances) {
    v1::Instance* out = server.add_instances();
    out->set_index(instance->index);
    out->set_state(ToProtoState(instance->state));
    out->set_pid(instance->pid);
    if (instance->pid != 0) *out->mutable_start_time() = ToTimestamp(instance->start_time);
    out->set_restarts(instance->restarts);
    if (instance->last_exit) SetExit(*instance->last_exit, out->mutable_last_exit());
    out->set_reason(instance->reason);
    out->set_ready(instance->ready && instance->state == ServerState::kRunning);
    out->set_adopted(instance->adopted);
    out->set_status(instance->status);
    out->set_consecutive_failures(instance->consecutive_failures);
  }
  server.set_reloading(record.reload != nullptr);
  server.set_reload_step(ReloadStep(record));
  server.set_last_reload(record.last_reload);
  return server;
}

void Supervisor::Publish(const Record& record, const Instance* instance, v1::Event::Kind kind,
                         const std::string& reason) {
  // Built even with no watcher: the bus keeps it for `corralctl events -n`.
  const Instance& about = instance != nullptr ? *instance : record.first();
  v1::Event event;
  event.set_kind(kind);
  event.set_name(record.spec.name());
  *event.mutable_time() = ToTimestamp(absl::Now());
  event.set_state(ToProtoState(instance != nullptr ? instance->state : record.state()));
  event.set_pid(about.pid);
  event.set_bound_address(about.bound_address);
  event.set_instance(about.index);
  if (kind == v1::Event::EXITED && about.last_exit) SetExit(*about.last_exit, event.mutable_exit());
  if (kind == v1::Event::FATAL || kind == v1::Event::FAILED || kind == v1::Event::BACKOFF ||
      kind == v1::Event::UNHEALTHY) {
    event.set_reason(about.reason);
  }
  if (!reason.empty()) event.set_reason(reason);
  if (kind == v1::Event::BACKOFF) {
    *event.mutable_next_start_time() = ToTimestamp(about.next_start_time);
  }
  events_.Publish(event);
}

}  // namespace corral::agent
