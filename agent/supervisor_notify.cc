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
    Record* record = ServerOfPid(datagram->sender);
    if (record == nullptr) {
      spdlog::debug("notify socket: pid {} belongs to no server; ignored", datagram->sender);
      continue;
    }
    const absl::Time now = absl::Now();
    if (now - record->notify_window >= absl::Seconds(1)) {
      record->notify_window = now;
      record->notify_count = 0;
    }
    if (++record->notify_count > kMaxNotifyPerSecond) {
      if (record->notify_count == kMaxNotifyPerSecond + 1) {
        spdlog::warn("server \"{}\": more than {} notify messages in a second; dropping the rest",
                     record->spec.name(), kMaxNotifyPerSecond);
      }
      continue;
    }
    OnNotify(*record, datagram->sender, ParseNotifyMessage(datagram->bytes));
  }
}

Supervisor::Record* Supervisor::ServerOfPid(pid_t pid) const {
  std::map<pid_t, Record*> by_pid;
  for (const auto& [name, record] : servers_) {
    if (record->pid == 0) continue;
    by_pid[record->pid] = record.get();
    if (record->notify_main_pid != 0) by_pid[record->notify_main_pid] = record.get();
  }
  if (by_pid.empty()) return nullptr;
  const procfs::ProcFs proc;
  for (int depth = 0; depth < kMaxTreeDepth && pid > 1; ++depth) {
    if (auto it = by_pid.find(pid); it != by_pid.end()) return it->second;
    absl::StatusOr<procfs::ProcStat> stat = proc.ReadStat(pid);
    if (!stat.ok()) return nullptr;
    pid = stat->ppid;
  }
  return nullptr;
}

void Supervisor::OnNotify(Record& record, pid_t sender, const NotifyMessage& message) {
  const std::string& name = record.spec.name();
  if (message.status) record.status = *message.status;
  if (message.main_pid && *message.main_pid != record.pid) {
    // Only a process of the server's own tree may be named, or a server could point its
    // supervision at any process.
    if (ServerOfPid(*message.main_pid) == &record) {
      record.notify_main_pid = *message.main_pid;
    } else {
      spdlog::warn("server \"{}\": MAINPID={} is not in its process tree; ignored", name,
                   *message.main_pid);
    }
  }
  if (message.watchdog) record.last_watchdog = absl::Now();
  if (message.stopping) spdlog::info("server \"{}\": pid {} says it is stopping", name, sender);
  if (record.state != ServerState::kStarting) return;
  if (message.failed) {
    Dispatch(record, ServerEvent::kStartFailed, *message.failed);
    return;
  }
  if (message.extend_timeout_usec && record.timer != 0) {
    // The process asks for more time to get ready (systemd's EXTEND_TIMEOUT_USEC): the
    // deadline becomes now + that, bounded.
    const auto extend = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::microseconds(std::min(*message.extend_timeout_usec, kMaxExtendUsec)));
    loop_.Cancel(record.timer);
    const uint64_t id = record.id;
    record.timer = loop_.RunAfter(extend, [this, name, id, extend] {
      if (Record* r = Find(name, id)) {
        r->timer = 0;
        Dispatch(*r, ServerEvent::kReadyTimeout,
                 absl::StrCat("did not report ready within the ",
                              absl::FormatDuration(absl::FromChrono(extend)),
                              " it asked for (EXTEND_TIMEOUT_USEC); killed"));
      }
    });
  }
  if (!message.ready) return;
  absl::StatusOr<spec::ReadyMode> mode = spec::ParseReadyMode(
      record.spec.ready().empty() ? std::string("notify") : record.spec.ready());
  if (mode.ok() && mode->kind == spec::ReadyMode::kNotify) MarkReady(record);
}

void Supervisor::StartReadyCheck(Record& record) {
  if (!spec::IsCommandServer(record.spec)) return;  // corral-server notifies
  absl::StatusOr<spec::ReadyMode> mode = spec::ParseReadyMode(record.spec.ready());
  if (!mode.ok()) return;  // validated; cannot happen
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const pid_t pid = record.pid;
  switch (mode->kind) {
    case spec::ReadyMode::kNotify:
      break;
    case spec::ReadyMode::kDelay:
      record.ready_delay_timer =
          loop_.RunAfter(std::chrono::milliseconds(mode->delay_ms), [this, name, id, pid] {
            Record* r = Find(name, id);
            if (r == nullptr || r->pid != pid) return;
            r->ready_delay_timer = 0;
            if (r->state == ServerState::kStarting) MarkReady(*r);
          });
      break;
    case spec::ReadyMode::kHttp:
      if (record.sockets.empty()) return;  // validated: http needs a socket
      record.ready_probe = std::make_unique<HttpProbe>(
          record.sockets.front().socket.address(), mode->path,
          [this, name, id, pid](std::string status_line) {
            loop_.RunInLoop([this, name, id, pid, status_line] {
              Record* r = Find(name, id);
              if (r == nullptr || r->pid != pid || r->state != ServerState::kStarting) return;
              r->status = status_line;
              MarkReady(*r);
            });
          });
      break;
  }
}

void Supervisor::StopReadyCheck(Record& record) {
  loop_.Cancel(record.ready_delay_timer);
  record.ready_delay_timer = 0;
  record.ready_probe.reset();
}

void Supervisor::MarkReady(Record& record) {
  StopReadyCheck(record);
  // corral-server wrote its scoreboard's header before it said READY: now the file may have its
  // name. Without it the server still serves; only its stats are missing, which they say.
  if (record.scoreboard) {
    if (absl::Status s =
            PublishScoreboardFile(record.scoreboard.get(),
                                  config_.home + "/servers/" + record.spec.name() + "/scoreboard");
        !s.ok()) {
      spdlog::warn("server \"{}\": {}", record.spec.name(), std::string(s.message()));
    }
    record.scoreboard.Reset();
  }
  record.bound_address = record.sockets.empty() ? "" : record.sockets.front().socket.address();
  record.ready = true;
  Dispatch(record, ServerEvent::kReady);
  if (record.state == ServerState::kRunning && record.spec.watchdog_ms() != 0) {
    record.last_watchdog = absl::Now();  // the first period runs from READY
    ArmWatchdog(record);
  }
}

void Supervisor::ArmWatchdog(Record& record) {
  const absl::Duration period = absl::Milliseconds(record.spec.watchdog_ms());
  const absl::Duration left = record.last_watchdog + period - absl::Now();
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const pid_t pid = record.pid;
  record.watchdog_timer =
      loop_.RunAfter(std::max(std::chrono::milliseconds(1), absl::ToChronoMilliseconds(left)),
                     [this, name, id, pid, period] {
                       Record* r = Find(name, id);
                       if (r == nullptr || r->pid != pid || r->state != ServerState::kRunning)
                         return;
                       r->watchdog_timer = 0;
                       const absl::Duration silent = absl::Now() - r->last_watchdog;
                       if (silent < period) return ArmWatchdog(*r);
                       // SIGABRT, as systemd does: a program may dump core to show where it hung.
                       // Its exit then goes through the restart policy like a crash, with this as
                       // the reason.
                       r->health_failure = absl::StrCat(
                           "watchdog: no WATCHDOG=1 for ",
                           absl::FormatDuration(absl::Trunc(silent, absl::Milliseconds(1))),
                           " (watchdog_ms ", r->spec.watchdog_ms(), "); killed with SIGABRT");
                       spdlog::warn("server \"{}\": {}", name, r->health_failure);
                       ::kill(r->pid, SIGABRT);
                     });
}

void Supervisor::StopWatchdog(Record& record) {
  loop_.Cancel(record.watchdog_timer);
  record.watchdog_timer = 0;
}

}  // namespace corral::agent
