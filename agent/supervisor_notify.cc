// The readiness side of the Supervisor: sd_notify messages on the agent's NOTIFY_SOCKET, and a
// command server's `ready` checks (delay:MS, http:/PATH).
#include <signal.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/notify_message.h"
#include "agent/procfs/proc_fs.h"
#include "agent/scoreboard_handover.h"
#include "agent/server_record.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/command_validation.h"
#include "spec/ready_mode.h"

namespace corral::agent {
namespace {

// A process may say what it is doing often (STATUS=, WATCHDOG=1), but a flood must not hold the
// loop: past this many messages in a second, the rest of the second's are dropped.
constexpr uint32_t kMaxNotifyPerSecond = 64;
// How far up the process tree a sender is followed to find its server.
constexpr int kMaxTreeDepth = 32;
// EXTEND_TIMEOUT_USEC may push the readiness deadline this far at most per message.
constexpr uint64_t kMaxExtendUsec = 600'000'000;

}  // namespace

void Supervisor::OnNotifyReadable() {
  while (std::optional<NotifySocket::Datagram> datagram = notify_.Receive()) {
    if (datagram->sender == 0) {
      spdlog::debug("notify socket: dropped a datagram without credentials or too long");
      continue;
    }
    auto [record, instance] = ServerOfPid(datagram->sender);
    if (record == nullptr) {
      spdlog::debug("notify socket: pid {} belongs to no server; ignored", datagram->sender);
      continue;
    }
    const absl::Time now = absl::Now();
    if (now - instance->notify_window >= absl::Seconds(1)) {
      instance->notify_window = now;
      instance->notify_count = 0;
    }
    if (++instance->notify_count > kMaxNotifyPerSecond) {
      if (instance->notify_count == kMaxNotifyPerSecond + 1) {
        spdlog::warn("server \"{}\": more than {} notify messages in a second; dropping the rest",
                     record->spec.name(), kMaxNotifyPerSecond);
      }
      continue;
    }
    OnNotify(*record, *instance, datagram->sender, ParseNotifyMessage(datagram->bytes));
  }
}

std::pair<Supervisor::Record*, Supervisor::Instance*> Supervisor::ServerOfPid(pid_t pid) const {
  std::map<pid_t, std::pair<Record*, Instance*>> by_pid;
  for (const auto& [name, record] : servers_) {
    std::vector<Instance*> all;
    for (const auto& instance : record->instances) all.push_back(instance.get());
    for (const auto& instance : record->draining) all.push_back(instance.get());
    if (record->reload != nullptr && record->reload->candidate != nullptr) {
      all.push_back(record->reload->candidate.get());
    }
    for (Instance* instance : all) {
      if (instance->pid == 0) continue;
      by_pid[instance->pid] = {record.get(), instance};
      if (instance->notify_main_pid != 0) {
        by_pid[instance->notify_main_pid] = {record.get(), instance};
      }
    }
  }
  if (by_pid.empty()) return {nullptr, nullptr};
  const procfs::ProcFs proc;
  for (int depth = 0; depth < kMaxTreeDepth && pid > 1; ++depth) {
    if (auto it = by_pid.find(pid); it != by_pid.end()) return it->second;
    absl::StatusOr<procfs::ProcStat> stat = proc.ReadStat(pid);
    if (!stat.ok()) return {nullptr, nullptr};
    pid = stat->ppid;
  }
  return {nullptr, nullptr};
}

void Supervisor::OnNotify(Record& record, Instance& instance, pid_t sender,
                          const NotifyMessage& message) {
  const std::string& name = record.spec.name();
  if (message.status) instance.status = *message.status;
  if (message.main_pid && *message.main_pid != instance.pid) {
    // Only a process of the instance's own tree may be named, or a server could point its
    // supervision at any process.
    if (ServerOfPid(*message.main_pid).second == &instance) {
      instance.notify_main_pid = *message.main_pid;
    } else {
      spdlog::warn("server \"{}\": MAINPID={} is not in its process tree; ignored", name,
                   *message.main_pid);
    }
  }
  if (message.watchdog) instance.last_watchdog = absl::Now();
  if (message.stopping) spdlog::info("server \"{}\": pid {} says it is stopping", name, sender);
  if (instance.state != ServerState::kStarting) return;
  if (message.failed) {
    Dispatch(record, instance, ServerEvent::kStartFailed, *message.failed);
    return;
  }
  if (message.extend_timeout_usec && instance.timer != 0) {
    // The process asks for more time to get ready (systemd's EXTEND_TIMEOUT_USEC): the
    // deadline becomes now + that, bounded.
    const auto extend = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::microseconds(std::min(*message.extend_timeout_usec, kMaxExtendUsec)));
    loop_.Cancel(instance.timer);
    const uint64_t id = record.id;
    const uint64_t serial = instance.serial;
    instance.timer = loop_.RunAfter(extend, [this, name, id, serial, extend] {
      if (Instance* i = Find(name, id, serial)) {
        i->timer = 0;
        Dispatch(*Find(name, id), *i, ServerEvent::kReadyTimeout,
                 absl::StrCat("did not report ready within the ",
                              absl::FormatDuration(absl::FromChrono(extend)),
                              " it asked for (EXTEND_TIMEOUT_USEC); killed"));
      }
    });
  }
  if (!message.ready) return;
  absl::StatusOr<spec::ReadyMode> mode = spec::ParseReadyMode(
      SpecOf(record, instance).ready().empty() ? std::string("notify")
                                               : SpecOf(record, instance).ready());
  if (mode.ok() && mode->kind == spec::ReadyMode::kNotify) MarkReady(record, instance);
}

void Supervisor::StartReadyCheck(Record& record, Instance& instance) {
  const v1::ServerSpec& run_spec = SpecOf(record, instance);
  if (!spec::IsCommandServer(run_spec)) return;  // corral-server notifies
  absl::StatusOr<spec::ReadyMode> mode = spec::ParseReadyMode(run_spec.ready());
  if (!mode.ok()) return;  // validated; cannot happen
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const uint64_t serial = instance.serial;
  const pid_t pid = instance.pid;
  switch (mode->kind) {
    case spec::ReadyMode::kNotify:
      break;
    case spec::ReadyMode::kDelay:
      instance.ready_delay_timer =
          loop_.RunAfter(std::chrono::milliseconds(mode->delay_ms), [this, name, id, serial, pid] {
            Instance* i = Find(name, id, serial);
            if (i == nullptr || i->pid != pid) return;
            i->ready_delay_timer = 0;
            if (i->state == ServerState::kStarting) MarkReady(*Find(name, id), *i);
          });
      break;
    case spec::ReadyMode::kHttp:
      if (record.sockets.empty()) return;  // validated: http needs a socket
      // With several instances on one socket the probe may reach another instance: a GET that
      // answers still says the new one runs no worse than its siblings. A program that must be
      // probed alone should use notify.
      instance.ready_probe = std::make_unique<HttpProbe>(
          record.sockets.front().socket.address(), mode->path,
          [this, name, id, serial, pid](std::string status_line) {
            loop_.RunInLoop([this, name, id, serial, pid, status_line] {
              Instance* i = Find(name, id, serial);
              if (i == nullptr || i->pid != pid || i->state != ServerState::kStarting) return;
              i->status = status_line;
              MarkReady(*Find(name, id), *i);
            });
          });
      break;
  }
}

void Supervisor::StopReadyCheck(Instance& instance) {
  loop_.Cancel(instance.ready_delay_timer);
  instance.ready_delay_timer = 0;
  instance.ready_probe.reset();
}

void Supervisor::MarkReady(Record& record, Instance& instance) {
  StopReadyCheck(instance);
  // corral-server wrote its scoreboard's header before it said READY: now the file may have its
  // name. Without it the server still serves; only its stats are missing, which they say.
  if (instance.scoreboard) {
    if (absl::Status s = PublishScoreboardFile(instance.scoreboard.get(),
                                               InstanceDir(record, instance) + "/scoreboard");
        !s.ok()) {
      spdlog::warn("server \"{}\": {}", record.spec.name(), std::string(s.message()));
    }
    instance.scoreboard.Reset();
  }
  instance.bound_address = record.sockets.empty() ? "" : record.sockets.front().socket.address();
  instance.ready = true;
  Dispatch(record, instance, ServerEvent::kReady);
  if (instance.state == ServerState::kRunning && SpecOf(record, instance).watchdog_ms() != 0) {
    instance.last_watchdog = absl::Now();  // the first period runs from READY
    ArmWatchdog(record, instance);
  }
}

void Supervisor::ArmWatchdog(Record& record, Instance& instance) {
  const absl::Duration period = absl::Milliseconds(SpecOf(record, instance).watchdog_ms());
  const absl::Duration left = instance.last_watchdog + period - absl::Now();
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const uint64_t serial = instance.serial;
  const pid_t pid = instance.pid;
  instance.watchdog_timer = loop_.RunAfter(
      std::max(std::chrono::milliseconds(1), absl::ToChronoMilliseconds(left)),
      [this, name, id, serial, pid, period] {
        Record* rec = Find(name, id);
        Instance* r = Find(name, id, serial);
        if (r == nullptr || r->pid != pid || r->state != ServerState::kRunning) return;
        r->watchdog_timer = 0;
        const absl::Duration silent = absl::Now() - r->last_watchdog;
        if (silent < period) return ArmWatchdog(*rec, *r);
        // SIGABRT, as systemd does: a program may dump core to show where it hung.
        // Its exit then goes through the restart policy like a crash, with this as
        // the reason.
        r->health_failure = absl::StrCat(
            "watchdog: no WATCHDOG=1 for ",
            absl::FormatDuration(absl::Trunc(silent, absl::Milliseconds(1))), " (watchdog_ms ",
            SpecOf(*rec, *r).watchdog_ms(), "); killed with SIGABRT");
        spdlog::warn("server \"{}\": {}", name, r->health_failure);
        ::kill(r->pid, SIGABRT);
      });
}

void Supervisor::StopWatchdog(Instance& instance) {
  loop_.Cancel(instance.watchdog_timer);
  instance.watchdog_timer = 0;
}

}  // namespace corral::agent
