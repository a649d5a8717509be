#include "agent/supervisor.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/exit_info.h"
#include "agent/spawner.h"
#include "agent/spec_validation.h"
#include "servers/exit_codes.h"
#include "servers/net/syscall_error.h"
#include "servers/net/unique_fd.h"
#include "servers/readiness.h"
#include "spdlog/spdlog.h"

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
    case ServerState::kStarting: return v1::STATE_STARTING;
    case ServerState::kRunning: return v1::STATE_RUNNING;
    case ServerState::kBackoff: return v1::STATE_BACKOFF;
    case ServerState::kStopping: return v1::STATE_STOPPING;
    case ServerState::kStopped: return v1::STATE_STOPPED;
    case ServerState::kFailed: return v1::STATE_FAILED;
  }
  return v1::STATE_UNSPECIFIED;
}

// Readiness messages are one short line; anything longer is a misbehaving process.
constexpr size_t kMaxReadinessBytes = 4096;

}  // namespace

struct Supervisor::Waiter {
  std::function<bool(const Record&)> settled;
  std::function<void()> fire;
};

struct Supervisor::Record {
  uint64_t id = 0;
  v1::ServerSpec spec;
  ServerState state = ServerState::kStopped;

  // The current process, if any.
  pid_t pid = 0;
  net::UniqueFd pidfd;
  net::UniqueFd readiness;
  std::string readiness_buffer;
  absl::Time start_time;
  std::string bound_address;

  uint32_t restarts = 0;
  std::optional<ExitInfo> last_exit;
  std::string reason;
  absl::Time next_start_time;
  uint32_t stop_timeout_override_ms = 0;

  EventLoop::TimerId timer = 0;  // the one deadline that matters in the current state
  std::vector<Waiter> waiters;
};

Supervisor::Supervisor(EventLoop& loop, SupervisorConfig config)
    : loop_(loop), config_(std::move(config)) {}

Supervisor::~Supervisor() {
  for (auto& [name, record] : servers_) {
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

absl::Status Supervisor::NotFound(const std::string& name) const {
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
  auto owned = std::make_unique<Record>();
  Record& record = *owned;
  record.id = next_id_++;
  record.spec = *std::move(spec);
  servers_.emplace(record.spec.name(), std::move(owned));

  WhenSettled(
      record,
      [](const Record& r) {
        return r.state == ServerState::kRunning || r.state == ServerState::kFailed;
      },
      [this, name = record.spec.name(), done] {
        done(Get(name));
      });
  Dispatch(record, ServerEvent::kStartRequested);
}

void Supervisor::Stop(const std::string& name, uint32_t timeout_ms, ServerCallback done) {
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound(name));
  record->stop_timeout_override_ms = timeout_ms;
  WhenSettled(
      *record,
      [](const Record& r) {
        return r.pid == 0 &&
               (r.state == ServerState::kStopped || r.state == ServerState::kFailed);
      },
      [this, name, done] { done(Get(name)); });
  Dispatch(*record, ServerEvent::kStopRequested);
}

void Supervisor::Restart(const std::string& name, ServerCallback done) {
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound(name));
  Stop(name, 0, [this, name, id = record->id, done](absl::StatusOr<v1::Server> stopped) {
    Record* again = Find(name, id);
    if (!stopped.ok() || again == nullptr) return done(NotFound(name));
    WhenSettled(
        *again,
        [](const Record& r) {
          return r.state == ServerState::kRunning || r.state == ServerState::kFailed;
        },
        [this, name, done] { done(Get(name)); });
    Dispatch(*again, ServerEvent::kStartRequested);
  });
}

void Supervisor::Remove(const std::string& name, DoneCallback done) {
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound(name));
  Stop(name, 0, [this, name, id = record->id, done](absl::StatusOr<v1::Server> stopped) {
    Record* again = Find(name, id);
    if (again == nullptr) return done(NotFound(name));
    // Erased from the loop, not here: this runs while the supervisor still holds the record.
    loop_.RunInLoop([this, name, id, done] {
      Record* gone = Find(name, id);
      if (gone == nullptr) return done(NotFound(name));
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
  if (record == nullptr) return NotFound(name);
  return ToProto(*record);
}

void Supervisor::StopAll(std::function<void()> done) {
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
  if (transition->next != record.state) {
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
      spdlog::warn("server \"{}\": still running after the stop timeout; killing its process group",
                   name);
      ::killpg(record.pid, SIGKILL);
      break;
    case Action::kKillAndFail:
      ::killpg(record.pid, SIGKILL);
      break;
    case Action::kScheduleRestart:
      record.next_start_time = absl::Now() + absl::FromChrono(config_.restart_delay);
      record.timer = loop_.RunAfter(config_.restart_delay, [this, name, id] {
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

void Supervisor::SpawnProcess(Record& record) {
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  std::string servers_dir = config_.home + "/servers";
  std::string dir = servers_dir + "/" + name;
  ::mkdir(servers_dir.c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);

  record.bound_address.clear();
  record.readiness_buffer.clear();
  absl::StatusOr<SpawnedServer> spawned =
      SpawnServer(ServerArgv(config_.server_binary, record.spec), dir + "/log");
  if (!spawned.ok()) {
    // Dispatch from the loop, not from inside this transition.
    loop_.RunInLoop([this, name, id, why = std::string(spawned.status().message())] {
      if (Record* r = Find(name, id)) Dispatch(*r, ServerEvent::kStartFailed, why);
    });
    return;
  }
  record.pid = spawned->pid;
  record.pidfd = std::move(spawned->pidfd);
  record.readiness = std::move(spawned->readiness);
  record.start_time = absl::Now();
  spdlog::info("server \"{}\": spawned pid {}", name, record.pid);

  loop_.Watch(record.pidfd.get(), EPOLLIN, [this, name, id](uint32_t) {
    if (Record* r = Find(name, id)) OnProcessExit(*r);
  });
  loop_.Watch(record.readiness.get(), EPOLLIN, [this, name, id](uint32_t) {
    if (Record* r = Find(name, id)) OnReadinessReadable(*r);
  });
  record.timer = loop_.RunAfter(config_.ready_timeout, [this, name, id] {
    if (Record* r = Find(name, id)) {
      r->timer = 0;
      Dispatch(*r, ServerEvent::kReadyTimeout,
               absl::StrCat("did not report ready within ",
                            absl::FormatDuration(absl::FromChrono(config_.ready_timeout)),
                            "; killed"));
    }
  });
}

void Supervisor::OnReadinessReadable(Record& record) {
  char buf[512];
  for (;;) {
    ssize_t n = ::read(record.readiness.get(), buf, sizeof buf);
    if (n > 0) {
      record.readiness_buffer.append(buf, static_cast<size_t>(n));
      if (record.readiness_buffer.size() > kMaxReadinessBytes) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (record.readiness_buffer.find('\n') == std::string::npos) return;  // more to come
    }
    break;  // EOF, error, or a whole line
  }
  CloseReadiness(record);
  std::optional<Readiness> readiness = ParseReadiness(record.readiness_buffer);
  if (!readiness) return;  // silence; the exit (or the ready timeout) decides
  if (readiness->ready) {
    record.bound_address = readiness->detail;
    Dispatch(record, ServerEvent::kReady);
  } else {
    Dispatch(record, ServerEvent::kStartFailed, readiness->detail);
  }
}

void Supervisor::CloseReadiness(Record& record) {
  if (!record.readiness) return;
  loop_.Unwatch(record.readiness.get());
  record.readiness.Reset();
}

void Supervisor::OnProcessExit(Record& record) {
  // A message written just before exiting may still sit in the pipe.
  if (record.readiness) OnReadinessReadable(record);

  // Kill what is left of the process group (forked children) while the zombie still holds the
  // group id, so no orphan outlives its server and the id cannot have been recycled.
  ::killpg(record.pid, SIGKILL);
  siginfo_t info{};
  if (::waitid(P_PIDFD, record.pidfd.get(), &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
    return;  // not exited after all
  }
  ExitInfo exit = ExitInfo::FromSiginfo(info, absl::Now());
  spdlog::info("server \"{}\": pid {} {}", record.spec.name(), record.pid, exit.ToString());
  loop_.Unwatch(record.pidfd.get());
  record.pidfd.Reset();
  record.pid = 0;
  record.bound_address.clear();
  record.last_exit = exit;

  bool fatal = !exit.signaled && exit.code == kExitBadConfig;
  switch (record.state) {
    case ServerState::kStopping:
      Dispatch(record, ServerEvent::kStoppedExit);
      break;
    case ServerState::kStarting:
      Dispatch(record, ServerEvent::kStartFailed,
               absl::StrCat("exited before it was ready: ", exit.ToString(),
                            "; see servers/", record.spec.name(), "/log in the agent's home"));
      break;
    case ServerState::kRunning:
      Dispatch(record, fatal ? ServerEvent::kExitedFatal : ServerEvent::kExited,
               absl::StrCat(fatal ? "exited with the bad-configuration code: " : "died: ",
                            exit.ToString()));
      break;
    default:
      Dispatch(record, fatal ? ServerEvent::kExitedFatal : ServerEvent::kExited);
      break;
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

v1::Server Supervisor::ToProto(const Record& record) const {
  v1::Server server;
  *server.mutable_spec() = record.spec;
  server.set_state(ToProtoState(record.state));
  server.set_pid(record.pid);
  server.set_bound_address(record.bound_address);
  if (record.pid != 0) *server.mutable_start_time() = ToTimestamp(record.start_time);
  server.set_restarts(record.restarts);
  if (record.last_exit) {
    v1::ExitStatus* exit = server.mutable_last_exit();
    if (record.last_exit->signaled) {
      exit->set_signal(record.last_exit->signal);
    } else {
      exit->set_code(record.last_exit->code);
    }
    exit->set_core_dumped(record.last_exit->core_dumped);
    *exit->mutable_time() = ToTimestamp(record.last_exit->time);
  }
  server.set_reason(record.reason);
  if (record.state == ServerState::kBackoff) {
    *server.mutable_next_start_time() = ToTimestamp(record.next_start_time);
  }
  return server;
}

}  // namespace corral::agent
