#include "agent/supervisor.h"

#include <signal.h>
#include <sys/epoll.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/server_record.h"
#include "spdlog/spdlog.h"
#include "spec/spec_validation.h"

namespace corral::agent {
namespace {

bool StartSettled(ServerState s) {
  return s == ServerState::kRunning || s == ServerState::kBackoff || s == ServerState::kFailed ||
         s == ServerState::kFatal || s == ServerState::kStopped;
}

bool StopSettled(ServerState s) {
  return s == ServerState::kStopped || s == ServerState::kFailed || s == ServerState::kFatal;
}

absl::Status Removing() {
  return absl::AbortedError(
      "the server is being removed; start it again once `corralctl ls` "
      "no longer lists it");
}

absl::Status StateSaveError(const absl::Status& status) {
  return absl::FailedPreconditionError(
      absl::StrCat(std::string(status.message()), "; nothing was changed"));
}

}  // namespace

Supervisor::Supervisor(EventLoop& loop, EventBus& events, SupervisorConfig config,
                       NotifySocket notify)
    : loop_(loop),
      events_(events),
      config_(std::move(config)),
      notify_(std::move(notify)),
      loggers_(loop),
      random_(std::random_device{}()) {
  // Without it no server could report READY: every start would end FAILED at its deadline.
  if (absl::Status s = loop_.Watch(notify_.fd(), EPOLLIN, [this](uint32_t) { OnNotifyReadable(); });
      !s.ok()) {
    spdlog::error("{}; servers cannot report readiness", std::string(s.message()));
  }
}

Supervisor::~Supervisor() {
  (void)loop_.Unwatch(notify_.fd());
  for (auto& [name, record] : servers_) {
    loop_.Cancel(record->timer);
    // Errors are logged by the loop; the processes live on for the next agent either way.
    if (record->pidfd) (void)loop_.Unwatch(record->pidfd.get());
    StopReadyCheck(*record);
    StopHealthWatch(*record);
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

absl::Status Supervisor::ShuttingDown() {
  return absl::UnavailableError("the agent is shutting down; try again once it is back");
}

void Supervisor::Start(const v1::ServerSpec& requested, ServerCallback done) {
  if (closing_) return done(ShuttingDown());
  absl::StatusOr<v1::ServerSpec> spec = spec::ValidateSpec(requested);
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
  // Callers check both; a start from here would outlive the record or the agent.
  if (record.removing) return done(Removing());
  if (closing_) return done(ShuttingDown());
  record.consecutive_failures = 0;
  WhenSettled(
      record, [](const Record& r) { return StartSettled(r.state); },
      [this, name = record.spec.name(), id = record.id, done](absl::Status cut) {
        if (!cut.ok()) return done(cut);
        const Record* r = Find(name, id);
        if (r == nullptr) return done(NotFound());
        // Settled as STOPPED because a Remove stopped it: this start did not happen.
        if (r->removing) return done(Removing());
        done(ToProto(*r));
      });
  Dispatch(record, ServerEvent::kStartRequested);
}

absl::Status Supervisor::BeginStop(Record& record, uint32_t timeout_ms, ServerCallback done) {
  if (!StopSettled(record.state)) {
    v1::ServerRecord saved = ToRecord(record, v1::STATE_STOPPED);
    if (absl::Status s = SaveState(record.spec.name(), &saved); !s.ok()) {
      return StateSaveError(s);
    }
  }
  record.stop_timeout_override_ms = timeout_ms;
  record.consecutive_failures = 0;
  WhenSettled(
      record, [](const Record& r) { return r.pid == 0 && StopSettled(r.state); },
      [this, name = record.spec.name(), done](absl::Status cut) {
        if (!cut.ok()) return done(cut);
        done(Get(name));
      });
  Dispatch(record, ServerEvent::kStopRequested);
  return absl::OkStatus();
}

void Supervisor::Stop(const std::string& name, uint32_t timeout_ms, ServerCallback done) {
  if (closing_) return done(ShuttingDown());
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  if (absl::Status s = BeginStop(*record, timeout_ms, done); !s.ok()) return done(s);
}

void Supervisor::Restart(const std::string& name, ServerCallback done) {
  if (closing_) return done(ShuttingDown());
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  if (record->removing) return done(Removing());
  auto then_start = [this, name, id = record->id, done](absl::StatusOr<v1::Server> stopped) {
    Record* again = Find(name, id);
    if (again != nullptr) again->keep_sockets = false;
    if (!stopped.ok()) return done(stopped.status());
    if (again == nullptr) return done(NotFound());
    // A Remove came while this waited for the stop, and its wait settled at the same moment.
    if (again->removing) return done(Removing());
    if (closing_) return done(ShuttingDown());
    v1::ServerRecord saved = ToRecord(*again, v1::STATE_RUNNING);
    if (absl::Status s = SaveState(name, &saved); !s.ok()) return done(StateSaveError(s));
    StartExisting(*again, done);
  };
  // The stop keeps the sockets: clients wait in their backlog for the process started next.
  record->keep_sockets = true;
  if (absl::Status s = BeginStop(*record, 0, std::move(then_start)); !s.ok()) {
    record->keep_sockets = false;
    return done(s);
  }
}

void Supervisor::Remove(const std::string& name, DoneCallback done) {
  if (closing_) return done(ShuttingDown());
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  const uint64_t id = record->id;
  auto then_erase = [this, name, id, done](absl::StatusOr<v1::Server> stopped) {
    if (!stopped.ok()) return done(stopped.status());
    // Erased from the loop, not here: this runs while the supervisor still holds the record.
    // Until then `removing` keeps anything from starting it again.
    loop_.RunInLoop([this, name, id, done] {
      Record* gone = Find(name, id);
      if (gone == nullptr) return done(NotFound());
      if (absl::Status s = SaveState(name, nullptr); !s.ok()) {
        gone->removing = false;  // still listed and saved: the operator may retry or start it
        return done(StateSaveError(s));
      }
      Erase(name);
      spdlog::info("server \"{}\" removed", name);
      done(absl::OkStatus());
    });
  };
  record->removing = true;
  if (absl::Status s = BeginStop(*record, 0, std::move(then_erase)); !s.ok()) {
    record->removing = false;
    return done(s);
  }
}

void Supervisor::Erase(const std::string& name) {
  auto node = servers_.extract(name);
  if (node.empty()) return;
  Record& record = *node.mapped();
  Publish(record, v1::Event::REMOVED);
  loop_.Cancel(record.timer);
  StopReadyCheck(record);
  ReleaseSockets(record);
  if (record.pidfd) {
    // Remove waits for the process to end, so this is a bug; never leave it unsupervised.
    AbandonProcess(record, absl::InternalError("erased while its process ran"));
  }
  std::vector<Waiter> waiters = std::move(record.waiters);
  node.mapped().reset();  // the record is gone before any waiter looks for it
  for (Waiter& waiter : waiters) {
    waiter.fire(absl::AbortedError("the server was removed while this call waited"));
  }
}

void Supervisor::Close() {
  closing_ = true;
  std::vector<Waiter> waiters;
  for (auto& [name, record] : servers_) {
    for (Waiter& waiter : record->waiters) waiters.push_back(std::move(waiter));
    record->waiters.clear();
  }
  for (Waiter& waiter : waiters) waiter.fire(ShuttingDown());
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
  closing_ = true;  // and nothing the operator asks for may start a server again meanwhile
  auto remaining = std::make_shared<size_t>(servers_.size());
  if (*remaining == 0) return done();
  for (auto& [name, record] : servers_) {
    // Saves are paused, so this cannot fail.
    (void)BeginStop(*record, 0, [remaining, done](absl::StatusOr<v1::Server>) {
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
    if (record.state == ServerState::kStarting) StopReadyCheck(record);
    if (record.state == ServerState::kRunning) StopWatchdog(record);
    if (record.state == ServerState::kRunning) StopHealthWatch(record);
    record.state = transition->next;
    // Held while the server is meant to run (BACKOFF included: clients wait for the next
    // process), and through a Restart's stop; closed once it is stopped for good.
    if (record.state == ServerState::kFailed || record.state == ServerState::kFatal ||
        (record.state == ServerState::kStopped && !record.keep_sockets)) {
      ReleaseSockets(record);
    }
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
        StartHealthWatch(record);
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
      record.tree.SnapshotTagged(record.tree_tag);
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
      record.tree.SnapshotTagged(record.tree_tag);
      ::kill(record.pid, SIGKILL);
      record.tree.KillAll(record.pid);
      break;
    case Action::kKillAndFail:
      record.tree.SnapshotTagged(record.tree_tag);
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
                             std::function<void(absl::Status)> fire) {
  record.waiters.push_back(Waiter{std::move(settled), std::move(fire)});
}

void Supervisor::FireSettledWaiters(Record& record) {
  std::vector<std::function<void(absl::Status)>> ready;
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
  for (auto& fire : ready) fire(absl::OkStatus());
}

}  // namespace corral::agent
