// The reload side of the Supervisor (issue 22 items 1, 2 and 8): a rolling replacement of a
// server's processes on the sockets the agent holds, one instance at a time, the old process
// drained only once its successor is READY, and any failure of a new process ending the reload
// with the old processes still serving.
#include <signal.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/listen_sockets.h"
#include "agent/server_record.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/spec_validation.h"

namespace corral::agent {
namespace {

bool SameSockets(const v1::ServerSpec& a, const v1::ServerSpec& b) {
  std::vector<v1::ListenSocket> x = RequestedSockets(a);
  std::vector<v1::ListenSocket> y = RequestedSockets(b);
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].name() != y[i].name() || x[i].address() != y[i].address() ||
        x[i].udp() != y[i].udp()) {
      return false;
    }
  }
  return true;
}

}  // namespace

const v1::ServerSpec& Supervisor::SpecOf(const Record& record, const Instance& instance) const {
  const ReloadRun* reload = record.reload.get();
  if (reload == nullptr || instance.role == Instance::Role::kDraining) return record.spec;
  // A new process runs the reload's spec, or the old one when it rolls back; an instance runs
  // the reload's spec once the reload replaced it (and until a rollback replaces it again).
  if (instance.role == Instance::Role::kCandidate) {
    return reload->restoring ? record.spec : reload->spec;
  }
  if (instance.index < reload->on_new.size() && reload->on_new[instance.index]) {
    return reload->spec;
  }
  return record.spec;
}

void Supervisor::Reload(const std::string& name, const v1::ServerSpec* requested,
                        ServerCallback done, const v1::ReloadRequest* overrides) {
  if (closing_) return done(ShuttingDown());
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  if (record->removing) return done(absl::AbortedError("the server is being removed"));
  if (record->reload != nullptr) {
    return done(absl::FailedPreconditionError(
        "a reload of this server is already under way; wait for its RELOADED or ROLLED_BACK "
        "event"));
  }
  v1::ServerSpec spec = record->spec;
  if (requested != nullptr) {
    absl::StatusOr<v1::ServerSpec> valid = spec::ValidateSpec(*requested);
    if (!valid.ok()) return done(valid.status());
    if (valid->name() != name) {
      return done(absl::InvalidArgumentError(absl::StrCat(
          "reload of ", name, ": the new spec names another server, ", valid->name())));
    }
    spec = *std::move(valid);
  }
  absl::StatusOr<spec::RolloutGates> gates =
      overrides != nullptr ? spec::GatesFor(spec, *overrides) : spec::GatesOf(spec);
  if (!gates.ok()) return done(gates.status());
  if (!SameSockets(spec, record->spec)) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("reload of ", name,
                     ": a reload keeps the server's sockets; to listen elsewhere, remove the "
                     "server and start it again")));
  }
  if (std::max<uint32_t>(1, spec.instances()) != record->instances.size()) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("reload of ", name, ": a reload keeps the number of instances (",
                     record->instances.size(), "); `corralctl scale` changes it")));
  }
  for (const auto& instance : record->instances) {
    if (instance->state != ServerState::kRunning) {
      return done(absl::FailedPreconditionError(absl::StrCat(
          "reload of ", name, ": instance ", instance->index, " is ",
          std::string(StateName(instance->state)),
          ", not RUNNING; a reload replaces serving processes (use `corralctl restart ", name,
          "`)")));
    }
  }
  record->reload = std::make_unique<ReloadRun>();
  record->reload->spec = std::move(spec);
  record->reload->gates = *gates;
  record->reload->on_new.assign(record->instances.size(), false);
  record->reload->started = absl::Now();
  record->reload->done.push_back(std::move(done));
  spdlog::info("server \"{}\": reloading {} instance(s)", name, record->instances.size());
  Publish(*record, nullptr, v1::Event::RELOADING,
          gates->check_ms == 0
              ? ""
              : absl::StrCat("each new instance is checked for ", gates->check_ms, " ms"));
  StartCandidate(*record);
}

void Supervisor::StartCandidate(Record& record) {
  Supervisor::ReloadRun& reload = *record.reload;
  auto candidate = std::make_unique<Instance>();
  candidate->index = reload.next;
  candidate->serial = next_id_++;
  candidate->role = Instance::Role::kCandidate;
  reload.candidate = std::move(candidate);
  Dispatch(record, *reload.candidate, ServerEvent::kStartRequested);
}

void Supervisor::OnReloadProcessChanged(Record& record, Instance& instance) {
  if (instance.role == Instance::Role::kDraining) {
    if (instance.pid != 0) return;
    // Gone: forget it from the loop (the caller still holds it), then let a Stop that waited
    // for the drains see none left.
    loop_.RunInLoop([this, name = record.spec.name(), id = record.id, serial = instance.serial] {
      Record* r = Find(name, id);
      if (r == nullptr) return;
      std::erase_if(r->draining, [serial](const auto& d) { return d->serial == serial; });
      FireSettledWaiters(*r);
    });
    return;
  }
  if (record.reload == nullptr || record.reload->candidate.get() != &instance) return;
  switch (instance.state) {
    case ServerState::kRunning:
      CandidateReady(record);
      break;
    case ServerState::kStarting:
      break;
    default: {  // it exited, crashed, said FAILED or was not READY in time
      const std::string why =
          instance.reason.empty() ? std::string(StateName(instance.state)) : instance.reason;
      if (record.reload->restoring) {
        // The old spec cannot start again either: that instance keeps the new version.
        const uint32_t index = record.reload->next;
        record.reload->on_new[index] = false;
        DropCandidate(record, absl::AbortedError(why));
        record.reload->failure = absl::AbortedError(absl::StrCat(
            record.reload->failure.message(), "; instance ", index,
            " could not be restored to the old spec (", why, ") and keeps the new version"));
        return NextRestore(record);
      }
      FailReload(record,
                 absl::AbortedError(absl::StrCat("reload of ", record.spec.name(), " failed: ", why,
                                                 "; the old processes keep serving")));
      break;
    }
  }
}

void Supervisor::CandidateReady(Record& record) {
  Supervisor::ReloadRun& reload = *record.reload;
  const uint32_t index = reload.next;
  std::unique_ptr<Instance> old = std::move(record.instances[index]);
  record.instances[index] = std::move(reload.candidate);
  Instance& fresh = *record.instances[index];
  fresh.role = Instance::Role::kServing;
  fresh.restarts = old->restarts;
  reload.on_new[index] = !reload.restoring;
  if (!reload.restoring) Publish(record, &fresh, v1::Event::INSTANCE_READY);
  // Only now is the old process told to go: SIGTERM makes corral-server stop accepting, close
  // its idle keep-alive connections and answer in-flight requests with Connection: close.
  old->role = Instance::Role::kDraining;
  Instance& draining = *old;
  record.draining.push_back(std::move(old));
  Publish(
      record, &draining, v1::Event::DRAINING,
      absl::StrCat("pid ", draining.pid, reload.restoring ? " (new version)" : "", " drains; pid ",
                   fresh.pid, reload.restoring ? " (old version)" : "", " serves"));
  Dispatch(record, draining, ServerEvent::kStopRequested);
  SaveStateOrWarn();                     // the new pid, before anything else happens to it
  if (record.reload == nullptr) return;  // the drain's settling ended it (a Stop that waited)
  if (reload.restoring) return NextRestore(record);
  if (reload.gates.check_ms != 0) return BeginCheck(record, fresh);
  AdvanceReload(record);
}

void Supervisor::AdvanceReload(Record& record) {
  Supervisor::ReloadRun& reload = *record.reload;
  if (++reload.next < record.instances.size()) return StartCandidate(record);
  EndReload(record, absl::OkStatus());
}

void Supervisor::FailReload(Record& record, absl::Status why) {
  Supervisor::ReloadRun& reload = *record.reload;
  DropCandidate(record, why);
  StopCheck(reload);
  reload.failure = std::move(why);
  reload.restoring = true;
  spdlog::warn("server \"{}\": {}", record.spec.name(), std::string(reload.failure.message()));
  NextRestore(record);
}

void Supervisor::NextRestore(Record& record) {
  Supervisor::ReloadRun& reload = *record.reload;
  for (uint32_t i = 0; i < reload.on_new.size(); ++i) {
    if (!reload.on_new[i]) continue;
    reload.next = i;
    return StartCandidate(record);
  }
  EndReload(record, reload.failure);
}

void Supervisor::DropCandidate(Record& record, const absl::Status& why) {
  Supervisor::ReloadRun& reload = *record.reload;
  if (reload.candidate == nullptr) return;
  Instance& candidate = *reload.candidate;
  loop_.Cancel(candidate.timer);
  candidate.timer = 0;
  StopReadyCheck(candidate);
  StopWatchdog(candidate);
  if (candidate.pidfd) AbandonProcess(record, candidate, why);
  // Freed from the loop: the call that reported its failure may still hold it.
  std::shared_ptr<Instance> doomed(std::move(reload.candidate));
  loop_.RunInLoop([doomed] {});
}

void Supervisor::EndReload(Record& record, absl::Status outcome) {
  if (record.reload == nullptr) return;
  DropCandidate(record, outcome);
  std::unique_ptr<ReloadRun> reload = std::move(record.reload);
  StopCheck(*reload);
  const auto took = absl::Now() - reload->started;
  if (outcome.ok()) {
    record.spec = reload->spec;
    SaveStateOrWarn();
    spdlog::info("server \"{}\": reloaded in {}", record.spec.name(),
                 absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))));
    record.last_reload = absl::StrCat("reloaded ", record.instances.size(), " instance(s) in ",
                                      absl::ToInt64Milliseconds(took), " ms");
    if (!reload->verdicts.empty()) {
      absl::StrAppend(&record.last_reload, "; checked: ", absl::StrJoin(reload->verdicts, "; "));
    }
    Publish(record, nullptr, v1::Event::RELOADED, record.last_reload);
  } else {
    SaveStateOrWarn();
    spdlog::warn("server \"{}\": {}", record.spec.name(), std::string(outcome.message()));
    record.last_reload = std::string(outcome.message());
    Publish(record, nullptr, v1::Event::ROLLED_BACK, std::string(outcome.message()));
  }
  const std::string name = record.spec.name();
  for (ServerCallback& done : reload->done) {
    if (outcome.ok()) {
      done(Get(name));
    } else {
      done(outcome);
    }
  }
  if (Record* still = Find(name)) FireSettledWaiters(*still);
}

std::string Supervisor::ReloadStep(const Record& record) const {
  if (record.reload == nullptr) return "";
  const Supervisor::ReloadRun& reload = *record.reload;
  std::string step =
      absl::StrCat(reload.restoring ? "rolling back: restoring instance " : "instance ",
                   reload.next + 1, " of ", record.instances.size());
  if (reload.candidate != nullptr && reload.candidate->pid != 0) {
    absl::StrAppend(&step, ": new pid ", reload.candidate->pid, " starting");
  }
  if (reload.checking != 0) {
    absl::StrAppend(&step, ": pid ", reload.checking_pid, " in its ", reload.gates.check_ms,
                    " ms check");
  }
  if (!record.draining.empty()) absl::StrAppend(&step, "; ", record.draining.size(), " draining");
  return step;
}

}  // namespace corral::agent
