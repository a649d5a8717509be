// Supervisor::Update (issue 22 item 4): a new spec for a server, each changed field applied as
// spec/field_apply.h says: the agent's own fields at once, the others through new processes.
#include "absl/strings/str_cat.h"
#include "agent/server_record.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/config_plan.h"
#include "spec/spec_validation.h"

namespace corral::agent {
namespace {

// The fields a reload cannot change: it runs the new processes on the sockets the agent holds,
// as many as there are instances.
bool ChangesSockets(const v1::UpdateServerResponse& response) {
  for (const v1::FieldChange& change : response.changes()) {
    if (change.field() == "listen" || change.field() == "sockets" ||
        change.field() == "instances") {
      return true;
    }
  }
  return false;
}

}  // namespace

void Supervisor::Update(const v1::ServerSpec& requested, bool dry_run, UpdateCallback done) {
  if (closing_) return done(ShuttingDown());
  Record* record = Find(requested.name());
  if (record == nullptr) return done(NotFound());
  if (record->removing) return done(absl::AbortedError("the server is being removed"));
  absl::StatusOr<v1::ServerSpec> spec = spec::ValidateSpec(requested);
  if (!spec.ok()) return done(spec.status());

  v1::UpdateServerResponse response;
  bool new_processes = false;
  for (const spec::FieldChange& change : spec::DiffSpecs(record->spec, *spec)) {
    v1::FieldChange& out = *response.add_changes();
    out.set_field(change.field);
    out.set_before(change.before);
    out.set_after(change.after);
    out.set_needs_new_processes(change.how == spec::FieldApply::kNewProcesses);
    new_processes = new_processes || out.needs_new_processes();
  }
  const ServerState state = record->state();
  const bool idle = state == ServerState::kStopped || state == ServerState::kFailed ||
                    state == ServerState::kFatal;
  if (record->reload != nullptr) {
    return done(absl::FailedPreconditionError(
        "a reload of this server is under way; update it once its RELOADED or ROLLED_BACK "
        "event came"));
  }
  if (dry_run || response.changes().empty()) {
    *response.mutable_server() = ToProto(*record);
    return done(std::move(response));
  }
  const std::string name = record->spec.name();
  if (!new_processes || idle) {
    // The record takes the spec now: the agent reads these fields when it next needs them, and
    // a server with no process runs the new spec at its next start. Saved first, as always.
    v1::ServerSpec old = std::exchange(record->spec, *spec);
    if (absl::Status s = SaveState("", nullptr); !s.ok()) {
      record->spec = std::move(old);
      return done(absl::FailedPreconditionError(
          absl::StrCat(std::string(s.message()), "; nothing was changed")));
    }
    // The probe and the memory guard take their settings when they start: those of each
    // serving instance start again (one already restarting its process is left to finish).
    for (const auto& instance : record->instances) {
      if (instance->state == ServerState::kRunning && !instance->health.restarting) {
        StartHealthWatch(*record, *instance);
      }
    }
    spdlog::info("server \"{}\": spec updated in place ({} field(s))", name,
                 response.changes_size());
    *response.mutable_server() = ToProto(*record);
    return done(std::move(response));
  }
  if (state != ServerState::kRunning) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "update of ", name, ": it is ", std::string(StateName(state)),
        "; a change that needs new processes waits for RUNNING (or stop the server first: a "
        "stopped server takes any change)")));
  }
  if (ChangesSockets(response)) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "update of ", name,
        ": its sockets or instance count change, which a reload cannot do without a gap; stop "
        "the server, update it, and start it")));
  }
  response.set_reloaded(true);
  Reload(name, &*spec,
         [done, response = std::move(response)](absl::StatusOr<v1::Server> reloaded) mutable {
           if (!reloaded.ok()) return done(reloaded.status());
           *response.mutable_server() = *std::move(reloaded);
           done(std::move(response));
         });
}

}  // namespace corral::agent
