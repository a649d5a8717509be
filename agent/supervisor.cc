#include "agent/supervisor.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/server_record.h"
#include "agent/spec_validation.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

bool StartSettled(ServerState s) {
  return s == ServerState::kRunning || s == ServerState::kBackoff || s == ServerState::kFailed ||
         s == ServerState::kFatal || s == ServerState::kStopped;
}

bool StopSettled(ServerState s) {
  return s == ServerState::kStopped || s == ServerState::kFailed || s == ServerState::kFatal;
}

absl::Status StateSaveError(const absl::Status& status) {
  return absl::FailedPreconditionError(
      absl::StrCat(std::string(status.message()), "; nothing was changed"));
}

}  // namespace

Supervisor::Supervisor(EventLoop& loop, EventBus& events, SupervisorConfig config)
    : loop_(loop),
      events_(events),
      config_(std::move(config)),
      loggers_(loop),
      random_(std::random_device{}()) {}

Supervisor::~Supervisor() {
  for (auto& [name, record] : servers_) {
    loop_.Cancel(record->timer);
    if (record->pidfd) loop_.Unwatch(record->pidfd.get());
    if (record->readiness) loop_.Unwatch(record->readiness.get());
  }
}

Supervisor::Record* Supervisor::Find(const std::string& name) const {
  auto it = servers_.find(name);
  return it == servers_.end() ? nullptr : it->second.get();
}

Supervisor::Record* Supervisor::Find(const std::string& name, uint64_t id) const {
  Record* record = Find(name);
  return record != nullptr && record->id == id ? record : nullptr;
}

Supervisor::Record& Supervisor::Add(const v1::ServerSpec& spec) {
  auto owned = std::make_unique<Record>();
  Record& record = *owned;
  record.id = next_id_++;
  record.spec = spec;
  servers_.emplace(spec.name(), std::move(owned));
  return record;
}

absl::Status Supervisor::NotFound() {
  return absl::NotFoundError("no such server; `corralctl ls` lists the servers");
}

void Supervisor::Start(const v1::ServerSpec& requested, ServerCallback done) {
  absl::StatusOr<v1::ServerSpec> spec = ValidateSpec(requested);
  if (!spec.ok()) return done(spec.status());
  if (Find(spec->name()) != nullptr) {
    return done(absl::AlreadyExistsError(
        "a server with this name already exists; restart it, or remove it first with "
        "`corralctl rm`"));
  }
  v1::ServerRecord saved;
  *saved.mutable_spec() = *spec;
  saved.set_desired(v1::STATE_RUNNING);
  if (absl::Status s = SaveState(spec->name(), &saved); !s.ok()) return done(StateSaveError(s));
  StartExisting(Add(*spec), std::move(done));
}

void Supervisor::StartExisting(Record& record, ServerCallback done) {
  record.consecutive_failures = 0;
  WhenSettled(
      record, [](const Record& r) { return StartSettled(r.state); },
      [this, name = record.spec.name(), done] { done(Get(name)); });
  Dispatch(record, ServerEvent::kStartRequested);
}

void Supervisor::Stop(const std::string& name, uint32_t timeout_ms, ServerCallback done) {
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  if (!StopSettled(record->state)) {
    v1::ServerRecord saved = ToRecord(*record, v1::STATE_STOPPED);
    if (absl::Status s = SaveState(name, &saved); !s.ok()) return done(StateSaveError(s));
  }
  record->stop_timeout_override_ms = timeout_ms;
  record->consecutive_failures = 0;
  WhenSettled(
      *record, [](const Record& r) { return r.pid == 0 && StopSettled(r.state); },
      [this, name, done] { done(Get(name)); });
  Dispatch(*record, ServerEvent::kStopRequested);
}

void Supervisor::Restart(const std::string& name, ServerCallback done) {
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  Stop(name, 0, [this, name, id = record->id, done](absl::StatusOr<v1::Server> stopped) {
    if (!stopped.ok()) return done(stopped.status());
    Record* again = Find(name, id);
    if (again == nullptr) return done(NotFound());
    v1::ServerRecord saved = ToRecord(*again, v1::STATE_RUNNING);
    if (absl::Status s = SaveState(name, &saved); !s.ok()) return done(StateSaveError(s));
    StartExisting(*again, done);
  });
}

void Supervisor::Remove(const std::string& name, DoneCallback done) {
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  Stop(name, 0, [this, name, id = record->id, done](absl::StatusOr<v1::Server> stopped) {
    if (!stopped.ok()) return done(stopped.status());
    // Erased from the loop, not here: this runs while the supervisor still holds the record.
    loop_.RunInLoop([this, name, id, done] {
      Record* gone = Find(name, id);
      if (gone == nullptr) return done(NotFound());
      if (absl::Status s = SaveState(name, nullptr); !s.ok()) return done(StateSaveError(s));
      Publish(*gone, v1::Event::REMOVED);
      loop_.Cancel(gone->timer);
      servers_.erase(name);
      spdlog::info("server \"{}\" removed", name);
      done(absl::OkStatus());
    });
  });
}

std::vector<v1::Server> Supervisor::List() const {
  std::vector<v1::Server> list;
  for (const auto& [name, record] : servers_) list.push_back(ToProto(*record));
  return list;
}

absl::StatusOr<v1::Server> Supervisor::Get(const std::string& name) const {
  Record* record = Find(name);
  if (record == nullptr) return NotFound();
  return ToProto(*record);
}

absl::StatusOr<std::string> Supervisor::LogDir(const std::string& name) const {
  if (Find(name) == nullptr) return NotFound();
  return config_.home + "/servers/" + name;
}

void Supervisor::StopAll(std::function<void()> done) {
  // The state on disk stays as the operator left it, so the next agent starts again exactly
  // what runs now; and no stop can be refused because the home has become unwritable.
  saves_paused_ = true;
  auto remaining = std::make_shared<size_t>(servers_.size());
  if (*remaining == 0) return done();
  for (auto& [name, record] : servers_) {
    Stop(name, 0, [remaining, done](absl::StatusOr<v1::Server>) {
      if (--*remaining == 0) done();
    });
  }
}

void Supervisor::Dispatch(Record& record, ServerEvent event, std::string reason) {
  std::optional<Transition> transition = NextTransition(record.state, event);
  if (!transition) {
    spdlog::debug("server \"{}\": ignoring {} in {}", record.spec.name(), EventName(event),
                  StateName(record.state));
    FireSettledWaiters(record);
    return;
  }
  const bool changed = transition->next != record.state;
  if (changed) {
    spdlog::info("server \"{}\": {} -> {} ({}){}", record.spec.name(), StateName(record.state),
                 StateName(transition->next), EventName(event),
                 reason.empty() ? "" : ": " + reason);
    loop_.Cancel(record.timer);
    record.timer = 0;
    record.state = transition->next;
    if (record.state == ServerState::kRunning || record.state == ServerState::kStarting ||
        record.state == ServerState::kStopped) {
      record.reason.clear();
    }
  }
  if (!reason.empty()) record.reason = std::move(reason);
  Perform(record, transition->action);
  if (changed) {
    switch (record.state) {
      case ServerState::kRunning: {
        Publish(record, event == ServerEvent::kAdopted ? v1::Event::ADOPTED : v1::Event::READY);
        // A run that lasts clears the failure count, as the next exit's decision would.
        const std::string name = record.spec.name();
        const uint64_t id = record.id;
        record.timer = loop_.RunAfter(std::chrono::milliseconds(record.spec.stable_after_ms()),
                                      [this, name, id] {
                                        if (Record* r = Find(name, id)) {
                                          r->timer = 0;
                                          r->consecutive_failures = 0;
                                        }
                                      });
        break;
      }
      case ServerState::kBackoff:
        Publish(record, v1::Event::BACKOFF);
        break;
      case ServerState::kFailed:
        Publish(record, v1::Event::FAILED);
        break;
      case ServerState::kFatal:
        Publish(record, v1::Event::FATAL);
        break;
      case ServerState::kStopped:
        Publish(record, v1::Event::STOPPED);
        break;
      default:
        break;
    }
    SaveStateOrWarn();
  }
  FireSettledWaiters(record);
}

void Supervisor::Perform(Record& record, Action action) {
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  switch (action) {
    case Action::kNone:
      break;
    case Action::kSpawn:
      SpawnProcess(record);
      break;
    case Action::kTerminate: {
      // Seen now, while the server lives: its children are findable only through it.
      record.tree.Snapshot(record.pid);
      ::kill(record.pid, SIGTERM);
      uint32_t timeout_ms = record.stop_timeout_override_ms != 0 ? record.stop_timeout_override_ms
                                                                 : record.spec.stop_timeout_ms();
      record.timer = loop_.RunAfter(std::chrono::milliseconds(timeout_ms), [this, name, id] {
        if (Record* r = Find(name, id)) {
          r->timer = 0;
          Dispatch(*r, ServerEvent::kStopDeadline);
        }
      });
      break;
    }
    case Action::kKill:
      spdlog::warn("server \"{}\": still running after the stop timeout; killing its process tree",
                   name);
      record.tree.Snapshot(record.pid);
      ::kill(record.pid, SIGKILL);
      record.tree.KillAll(record.pid);
      break;
    case Action::kKillAndFail:
      ::kill(record.pid, SIGKILL);
      record.tree.KillAll(record.pid);
      break;
    case Action::kScheduleRestart:
      record.next_start_time = absl::Now() + absl::FromChrono(record.backoff_delay);
      record.timer = loop_.RunAfter(record.backoff_delay, [this, name, id] {
        if (Record* r = Find(name, id)) {
          r->timer = 0;
          ++r->restarts;
          Dispatch(*r, ServerEvent::kBackoffElapsed);
        }
      });
      break;
    case Action::kCancelRestart:
      break;  // Dispatch already cancelled the timer when the state changed
  }
}

void Supervisor::WhenSettled(Record& record, std::function<bool(const Record&)> settled,
                             std::function<void()> fire) {
  record.waiters.push_back(Waiter{std::move(settled), std::move(fire)});
}

void Supervisor::FireSettledWaiters(Record& record) {
  std::vector<std::function<void()>> ready;
  auto& waiters = record.waiters;
  for (auto it = waiters.begin(); it != waiters.end();) {
    if (it->settled(record)) {
      ready.push_back(std::move(it->fire));
      it = waiters.erase(it);
    } else {
      ++it;
    }
  }
  // Fired after the scan: a callback may start new operations on this very record.
  for (auto& fire : ready) fire();
}

}  // namespace corral::agent
