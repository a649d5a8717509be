#include "agent/supervisor.h"

#include <signal.h>
#include <sys/epoll.h>

#include <algorithm>

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

template <typename Record, typename Pred>
bool AllInstances(const Record& record, Pred pred) {
  for (const auto& instance : record.instances) {
    if (!pred(*instance)) return false;
  }
  return true;
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
    std::vector<Instance*> all;
    for (auto& instance : record->instances) all.push_back(instance.get());
    for (auto& instance : record->draining) all.push_back(instance.get());
    if (record->reload != nullptr && record->reload->candidate != nullptr) {
      all.push_back(record->reload->candidate.get());
    }
    if (record->reload != nullptr) StopCheck(*record->reload);
    for (Instance* instance : all) {
      loop_.Cancel(instance->timer);
      // Errors are logged by the loop; the processes live on for the next agent either way.
      if (instance->pidfd) (void)loop_.Unwatch(instance->pidfd.get());
      StopReadyCheck(*instance);
      StopWatchdog(*instance);
      StopHealthWatch(*instance);
    }
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

Supervisor::Instance* Supervisor::Find(const std::string& name, uint64_t id,
                                       uint64_t serial) const {
  Record* record = Find(name, id);
  if (record == nullptr) return nullptr;
  for (const auto& instance : record->instances) {
    if (instance->serial == serial) return instance.get();
  }
  // A reload's new process and the old ones draining (supervisor_reload.cc).
  if (record->reload != nullptr && record->reload->candidate != nullptr &&
      record->reload->candidate->serial == serial) {
    return record->reload->candidate.get();
  }
  for (const auto& instance : record->draining) {
    if (instance->serial == serial) return instance.get();
  }
  return nullptr;
}

Supervisor::Record& Supervisor::Add(const v1::ServerSpec& spec) {
  auto owned = std::make_unique<Record>();
  Record& record = *owned;
  record.id = next_id_++;
  record.spec = spec;
  const uint32_t count = std::max<uint32_t>(1, spec.instances());
  for (uint32_t i = 0; i < count; ++i) {
    record.instances.push_back(std::make_unique<Instance>());
    record.instances.back()->index = i;
    record.instances.back()->serial = next_id_++;
  }
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
  for (auto& instance : record.instances) instance->consecutive_failures = 0;
  WhenSettled(
      record,
      [](const Record& r) {
        return AllInstances(r, [](const Instance& i) { return StartSettled(i.state); });
      },
      [this, name = record.spec.name(), id = record.id, done](absl::Status cut) {
        if (!cut.ok()) return done(cut);
        const Record* r = Find(name, id);
        if (r == nullptr) return done(NotFound());
        // Settled as STOPPED because a Remove stopped it: this start did not happen.
        if (r->removing) return done(Removing());
        done(ToProto(*r));
      });
  DispatchAll(record, ServerEvent::kStartRequested);
}

absl::Status Supervisor::BeginStop(Record& record, uint32_t timeout_ms, ServerCallback done) {
  if (!StopSettled(record.state())) {
    v1::ServerRecord saved = ToRecord(record, v1::STATE_STOPPED);
    if (absl::Status s = SaveState(record.spec.name(), &saved); !s.ok()) {
      return StateSaveError(s);
    }
  }
  record.stop_timeout_override_ms = timeout_ms;
  // A stop ends a reload: its new process goes, the draining ones are on their way already.
  EndReload(record, absl::AbortedError(absl::StrCat("reload of ", record.spec.name(),
                                                    " cut short: the server is stopping")));
  for (auto& instance : record.instances) instance->consecutive_failures = 0;
  WhenSettled(
      record,
      [](const Record& r) {
        return r.reload == nullptr && r.draining.empty() && AllInstances(r, [](const Instance& i) {
                 return i.pid == 0 && StopSettled(i.state);
               });
      },
      [this, name = record.spec.name(), done](absl::Status cut) {
        if (!cut.ok()) return done(cut);
        done(Get(name));
      });
  DispatchAll(record, ServerEvent::kStopRequested);
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
  Publish(record, nullptr, v1::Event::REMOVED);
  ReleaseSockets(record);
  if (record.reload != nullptr && record.reload->candidate != nullptr) {
    record.draining.push_back(std::move(record.reload->candidate));
  }
  for (auto& instance : record.draining) record.instances.push_back(std::move(instance));
  for (auto& instance : record.instances) {
    loop_.Cancel(instance->timer);
    StopReadyCheck(*instance);
    if (instance->pidfd) {
      // Remove waits for the process to end, so this is a bug; never leave it unsupervised.
      AbandonProcess(record, *instance, absl::InternalError("erased while its process ran"));
    }
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
  std::vector<ServerCallback> reloads;
  for (auto& [name, record] : servers_) {
    for (Waiter& waiter : record->waiters) waiters.push_back(std::move(waiter));
    record->waiters.clear();
    if (record->reload != nullptr) {
      for (ServerCallback& done : record->reload->done) reloads.push_back(std::move(done));
      record->reload->done.clear();
    }
  }
  for (ServerCallback& done : reloads) done(ShuttingDown());
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

void Supervisor::DispatchAll(Record& record, ServerEvent event) {
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  std::vector<uint64_t> serials;
  for (const auto& instance : record.instances) serials.push_back(instance->serial);
  for (uint64_t serial : serials) {
    // A waiter fired by one instance's change may have removed the server.
    Instance* instance = Find(name, id, serial);
    if (instance == nullptr) continue;
    Dispatch(*Find(name, id), *instance, event);
  }
}

void Supervisor::Dispatch(Record& record, Instance& instance, ServerEvent event,
                          std::string reason) {
  std::optional<Transition> transition = NextTransition(instance.state, event);
  const std::string label = record.instances.size() > 1
                                ? absl::StrCat(record.spec.name(), "\" instance ", instance.index)
                                : absl::StrCat(record.spec.name(), "\"");
  if (!transition) {
    spdlog::debug("server \"{}: ignoring {} in {}", label, EventName(event),
                  StateName(instance.state));
    FireSettledWaiters(record);
    return;
  }
  const bool changed = transition->next != instance.state;
  if (changed) {
    spdlog::info("server \"{}: {} -> {} ({}){}", label, StateName(instance.state),
                 StateName(transition->next), EventName(event),
                 reason.empty() ? "" : ": " + reason);
    loop_.Cancel(instance.timer);
    instance.timer = 0;
    if (instance.state == ServerState::kStarting) StopReadyCheck(instance);
    if (instance.state == ServerState::kRunning) StopWatchdog(instance);
    if (instance.state == ServerState::kRunning) StopHealthWatch(instance);
    instance.state = transition->next;
    // Held while the server is meant to run (BACKOFF included: clients wait for the next
    // process), and through a Restart's stop; closed once every instance is stopped for good.
    const bool all_down = AllInstances(record, [](const Instance& i) {
      return i.state == ServerState::kFailed || i.state == ServerState::kFatal ||
             i.state == ServerState::kStopped;
    });
    const bool all_stopped =
        AllInstances(record, [](const Instance& i) { return i.state == ServerState::kStopped; });
    if (all_down && !(all_stopped && record.keep_sockets)) ReleaseSockets(record);
    if (instance.state == ServerState::kRunning || instance.state == ServerState::kStarting ||
        instance.state == ServerState::kStopped) {
      instance.reason.clear();
    }
  }
  if (!reason.empty()) instance.reason = std::move(reason);
  Perform(record, instance, transition->action);
  // A reload's new process that fails, or an old one done draining, does not change what the
  // server is: the reload's own events (ROLLED_BACK, DRAINING) tell it.
  const bool publish =
      instance.role == Instance::Role::kServing || instance.state == ServerState::kRunning;
  if (changed && publish) {
    switch (instance.state) {
      case ServerState::kRunning: {
        Publish(record, &instance,
                event == ServerEvent::kAdopted ? v1::Event::ADOPTED : v1::Event::READY);
        StartHealthWatch(record, instance);
        // A run that lasts clears the failure count, as the next exit's decision would.
        const std::string name = record.spec.name();
        const uint64_t id = record.id;
        const uint64_t serial = instance.serial;
        instance.timer =
            loop_.RunAfter(std::chrono::milliseconds(SpecOf(record, instance).stable_after_ms()),
                           [this, name, id, serial] {
                             if (Instance* i = Find(name, id, serial)) {
                               i->timer = 0;
                               i->consecutive_failures = 0;
                             }
                           });
        break;
      }
      case ServerState::kBackoff:
        Publish(record, &instance, v1::Event::BACKOFF);
        break;
      case ServerState::kFailed:
        Publish(record, &instance, v1::Event::FAILED);
        break;
      case ServerState::kFatal:
        Publish(record, &instance, v1::Event::FATAL);
        break;
      case ServerState::kStopped:
        Publish(record, &instance, v1::Event::STOPPED);
        break;
      default:
        break;
    }
  }
  if (changed) {
    SaveStateOrWarn();
    // A reload's new process or an old one draining: the reload decides what it means.
    if (instance.role != Instance::Role::kServing) OnReloadProcessChanged(record, instance);
  }
  FireSettledWaiters(record);
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
