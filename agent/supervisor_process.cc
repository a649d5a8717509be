// The process side of the Supervisor: spawning, the readiness report, exits, adoption.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/command_launch.h"
#include "agent/listen_sockets.h"
#include "agent/procfs/proc_fs.h"
#include "agent/restart_policy.h"
#include "agent/scoreboard_handover.h"
#include "agent/server_record.h"
#include "agent/socket_recovery.h"
#include "agent/spawner.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/command_validation.h"

namespace corral::agent {
namespace {

// How long a server's exit waits for the rest of its SIGKILLed tree to die before the server is
// reported ended. Dying takes microseconds to milliseconds; the bound only matters for a process
// stuck in the kernel, and it holds the loop thread, so it is short.
constexpr std::chrono::milliseconds kKilledTreeGrace{500};

}  // namespace

std::string Supervisor::InstanceDir(const Record& record, const Instance& instance) const {
  const std::string servers_dir = config_.home + "/servers";
  std::string dir = servers_dir + "/" + record.spec.name();
  ::mkdir(servers_dir.c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);
  if (instance.index == 0) return dir;
  // Each instance writes its own log and fills in its own scoreboard (one writer per file).
  dir += absl::StrCat("/instance-", instance.index);
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

absl::StatusOr<SpawnedServer> Supervisor::Launch(Record& record, Instance& instance,
                                                 const std::string& dir) {
  const v1::ServerSpec& run_spec = SpecOf(record, instance);
  // Resolved at every spawn: the user may have gone, or the agent's flags changed.
  absl::StatusOr<std::optional<Credentials>> credentials = ResolveRunAs(run_spec, config_.run_as);
  if (!credentials.ok()) return credentials.status();
  if (record.sockets.empty()) {
    // Bound once and held from then on; after an adoption, the adopted process's addresses.
    const std::vector<v1::ListenSocket> wanted =
        record.rebind.empty() ? RequestedSockets(run_spec) : record.rebind;
    absl::StatusOr<std::vector<HeldSocket>> bound = BindSockets(wanted);
    if (!bound.ok()) return bound.status();
    record.sockets = *std::move(bound);
    record.rebind.clear();
  }
  absl::StatusOr<std::vector<std::string>> env =
      ServerEnvironment(run_spec, notify_.address(), record.sockets);
  if (!env.ok()) return env.status();
  const bool command = spec::IsCommandServer(run_spec);
  absl::StatusOr<std::vector<std::string>> argv =
      command ? ResolveCommand(run_spec, *env)
              : ServerArgv(config_.server_binary, dir, record.sockets.size());
  if (!argv.ok()) return argv.status();
  instance.tree_tag = absl::StrCat("CORRAL_SERVER=", record.spec.name(), ":",
                                   absl::Hex(random_(), absl::kZeroPad16));
  env->push_back(instance.tree_tag);
  if (record.instances.size() > 1) {
    // Which copy it is, for a program that wants to tell them apart (PM2's NODE_APP_INSTANCE).
    env->push_back(absl::StrCat("CORRAL_INSTANCE=", instance.index));
  }
  ServerLaunch launch;
  launch.credentials = *credentials;
  if (!command) launch.scoreboard_path = dir + "/scoreboard";
  launch.env = *std::move(env);
  launch.cwd = run_spec.cwd();
  launch.max_open_files = run_spec.max_open_files();
  if (run_spec.has_umask()) launch.umask = static_cast<mode_t>(run_spec.umask());
  for (const HeldSocket& held : record.sockets) launch.listen_fds.push_back(held.fd.get());
  LogSettings log{config_.logger_binary, dir, run_spec.log_max_bytes(), run_spec.log_keep_files()};
  return SpawnServer(*argv, command ? nullptr : &run_spec, log, launch);
}

// Carries out a transition's action on the instance's process.
void Supervisor::Perform(Record& record, Instance& instance, Action action) {
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const uint64_t serial = instance.serial;
  switch (action) {
    case Action::kNone:
      break;
    case Action::kSpawn:
      SpawnProcess(record, instance);
      break;
    case Action::kTerminate: {
      // Seen now, while the server lives: its children are findable only through it.
      instance.tree.Snapshot(instance.pid);
      instance.tree.SnapshotTagged(instance.tree_tag);
      ::kill(instance.pid, SIGTERM);
      uint32_t timeout_ms = record.stop_timeout_override_ms != 0
                                ? record.stop_timeout_override_ms
                                : SpecOf(record, instance).stop_timeout_ms();
      instance.timer =
          loop_.RunAfter(std::chrono::milliseconds(timeout_ms), [this, name, id, serial] {
            if (Instance* i = Find(name, id, serial)) {
              i->timer = 0;
              Dispatch(*Find(name, id), *i, ServerEvent::kStopDeadline);
            }
          });
      break;
    }
    case Action::kKill:
      spdlog::warn("server \"{}\": still running after the stop timeout; killing its process tree",
                   name);
      instance.tree.Snapshot(instance.pid);
      instance.tree.SnapshotTagged(instance.tree_tag);
      ::kill(instance.pid, SIGKILL);
      instance.tree.KillAll(instance.pid);
      break;
    case Action::kKillAndFail:
      instance.tree.SnapshotTagged(instance.tree_tag);
      ::kill(instance.pid, SIGKILL);
      instance.tree.KillAll(instance.pid);
      break;
    case Action::kScheduleRestart:
      instance.next_start_time = absl::Now() + absl::FromChrono(instance.backoff_delay);
      instance.timer = loop_.RunAfter(instance.backoff_delay, [this, name, id, serial] {
        if (Instance* i = Find(name, id, serial)) {
          i->timer = 0;
          ++i->restarts;
          Dispatch(*Find(name, id), *i, ServerEvent::kBackoffElapsed);
        }
      });
      break;
    case Action::kCancelRestart:
      break;  // Dispatch already cancelled the timer when the state changed
  }
}

void Supervisor::SpawnProcess(Record& record, Instance& instance) {
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const uint64_t serial = instance.serial;
  const std::string dir = InstanceDir(record, instance);

  instance.bound_address.clear();
  instance.status.clear();
  instance.notify_main_pid = 0;
  instance.ready = false;
  instance.adopted = false;
  absl::StatusOr<SpawnedServer> spawned = Launch(record, instance, dir);
  if (!spawned.ok()) {
    // Dispatch from the loop, not from inside this transition.
    loop_.RunInLoop([this, name, id, serial, why = std::string(spawned.status().message())] {
      if (Instance* i = Find(name, id, serial)) {
        Dispatch(*Find(name, id), *i, ServerEvent::kStartFailed, why);
      }
    });
    return;
  }
  instance.pid = spawned->pid;
  instance.pidfd = std::move(spawned->pidfd);
  instance.scoreboard = std::move(spawned->scoreboard);
  instance.start_time = absl::Now();
  instance.pid_start_ticks = procfs::StartTimeTicks(instance.pid).value_or(0);
  loggers_.Reap(std::move(spawned->logger_pidfd));
  spdlog::info("server \"{}\": spawned pid {}{}", name, instance.pid,
               record.instances.size() > 1 ? absl::StrCat(" (instance ", instance.index, ")") : "");
  Publish(record, &instance, v1::Event::STARTED);
  SaveStateOrWarn();  // before anything else: a new agent must know this pid

  if (absl::Status watched = WatchProcess(record, instance); !watched.ok()) {
    // Unwatched, its exit would never be seen: a server nobody supervises.
    AbandonProcess(record, instance, watched);
    loop_.RunInLoop([this, name, id, serial, why = std::string(watched.message())] {
      if (Instance* i = Find(name, id, serial)) {
        Dispatch(*Find(name, id), *i, ServerEvent::kStartFailed, why);
      }
    });
    return;
  }
  auto ready_timeout = std::chrono::milliseconds(SpecOf(record, instance).ready_timeout_ms());
  instance.timer = loop_.RunAfter(ready_timeout, [this, name, id, serial, ready_timeout] {
    if (Instance* i = Find(name, id, serial)) {
      i->timer = 0;
      Dispatch(*Find(name, id), *i, ServerEvent::kReadyTimeout,
               absl::StrCat("did not report ready within ",
                            absl::FormatDuration(absl::FromChrono(ready_timeout)),
                            "; killed (see `corralctl logs ", name, "`)"));
    }
  });
  StartReadyCheck(record, instance);
}

absl::Status Supervisor::WatchProcess(Record& record, Instance& instance) {
  return loop_.Watch(
      instance.pidfd.get(), EPOLLIN,
      [this, name = record.spec.name(), id = record.id, serial = instance.serial](uint32_t) {
        if (Instance* i = Find(name, id, serial)) OnProcessExit(*Find(name, id), *i);
      });
}

void Supervisor::AbandonProcess(Record& record, Instance& instance, const absl::Status& why) {
  spdlog::error("server \"{}\": cannot supervise pid {}: {}; killing its process tree",
                record.spec.name(), instance.pid, std::string(why.message()));
  StopReadyCheck(instance);
  instance.tree.Snapshot(instance.pid);
  PidfdSendSignal(instance.pidfd.get(), SIGKILL);
  instance.tree.KillAll(instance.pid);
  if (!instance.adopted) {
    // Our child, just SIGKILLed: the wait is short, and it leaves no zombie behind.
    siginfo_t info{};
    while (::waitid(P_PIDFD, instance.pidfd.get(), &info, WEXITED) != 0 && errno == EINTR) {
    }
  }
  ForgetProcess(record, instance);
}

bool Supervisor::TryAdopt(Record& record, Instance& instance, const v1::InstanceRecord& saved) {
  if (saved.pid() <= 0) return false;
  base::UniqueFd pidfd(PidfdOpen(saved.pid()));
  if (!pidfd) return false;  // gone
  absl::StatusOr<uint64_t> ticks = procfs::StartTimeTicks(saved.pid());
  if (!ticks.ok() || *ticks != saved.pid_start_ticks()) {
    spdlog::info("server \"{}\": pid {} now belongs to another process; not adopting it",
                 record.spec.name(), saved.pid());
    return false;
  }
  if (!saved.ready()) {
    // It never told the previous agent it was ready, and that agent's readiness check died
    // with it: it cannot be trusted to serve. Kill it (and its group) and start afresh.
    spdlog::info("server \"{}\": pid {} was still starting; killing it to start it again",
                 record.spec.name(), saved.pid());
    TreeKill tree;
    tree.Snapshot(saved.pid());
    PidfdSendSignal(pidfd.get(), SIGKILL);
    tree.KillAll(saved.pid());
    return false;
  }
  instance.pid = saved.pid();
  instance.tree_tag.clear();
  instance.pid_start_ticks = saved.pid_start_ticks();
  instance.pidfd = std::move(pidfd);
  instance.bound_address = record.sockets.empty()
                               ? (record.rebind.empty() ? "" : record.rebind.front().address())
                               : record.sockets.front().socket.address();
  instance.start_time = absl::FromUnixSeconds(saved.start_time().seconds()) +
                        absl::Nanoseconds(saved.start_time().nanos());
  instance.ready = true;
  instance.adopted = true;
  spdlog::info("server \"{}\": adopted pid {} listening on {}", record.spec.name(), instance.pid,
               instance.bound_address);
  if (absl::Status s = WatchProcess(record, instance); !s.ok()) {
    AbandonProcess(record, instance, s);
    return false;
  }
  Dispatch(record, instance, ServerEvent::kAdopted);
  return true;
}

void Supervisor::RecoverHeldSockets(Record& record) {
  if (!record.sockets.empty() || record.rebind.empty()) return;
  for (const auto& instance : record.instances) {
    if (!instance->pidfd) continue;
    absl::StatusOr<std::vector<HeldSocket>> recovered =
        RecoverSockets(instance->pid, instance->pidfd.get(), record.rebind);
    if (!recovered.ok()) {
      spdlog::warn(
          "server \"{}\": {}; its addresses are bound again once its processes have gone, "
          "and clients may be refused meanwhile",
          record.spec.name(), std::string(recovered.status().message()));
      continue;
    }
    record.sockets = *std::move(recovered);
    record.rebind.clear();
    spdlog::info("server \"{}\": recovered its {} socket(s) from pid {}", record.spec.name(),
                 record.sockets.size(), instance->pid);
    return;
  }
}

void Supervisor::ReleaseSockets(Record& record) {
  record.rebind.clear();  // stopped for good: the next start binds the spec's addresses
  if (record.sockets.empty()) return;
  spdlog::info("server \"{}\": closing its {} socket(s)", record.spec.name(),
               record.sockets.size());
  record.sockets.clear();
}

void Supervisor::ForgetProcess(Record& /*record*/, Instance& instance) {
  if (instance.pidfd) (void)loop_.Unwatch(instance.pidfd.get());  // logs its own error
  instance.pidfd.Reset();
  instance.scoreboard.Reset();  // never named if it never got READY
  StopReadyCheck(instance);
  StopWatchdog(instance);
  StopHealthWatch(instance);
  instance.pid = 0;
  instance.pid_start_ticks = 0;
  instance.bound_address.clear();
  instance.tree.Clear();
  instance.tree_tag.clear();
}

void Supervisor::OnProcessExit(Record& record, Instance& instance) {
  const std::string name = record.spec.name();
  // A message sent just before exiting may still be queued: read it while the sender's pid
  // still names this server (our zombie holds it). It may change the record, never remove it.
  OnNotifyReadable();

  // Kill what is left of the tree (forked children) while the process group id cannot have
  // been recycled: our zombie still holds it, or (adopted) its surviving members do.
  instance.tree.SnapshotTagged(instance.tree_tag);
  instance.tree.KillAll(instance.pid);
  if (size_t running = instance.tree.WaitGone(kKilledTreeGrace); running > 0) {
    spdlog::warn("server \"{}\": {} process(es) of its tree still run {} ms after SIGKILL", name,
                 running, kKilledTreeGrace.count());
  }
  ExitInfo exit;
  if (instance.adopted) {
    exit = ExitInfo::Unknown(absl::Now());  // not our child: waitid() cannot see it
  } else {
    siginfo_t info{};
    if (::waitid(P_PIDFD, instance.pidfd.get(), &info, WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0) {
      return;  // not exited after all
    }
    exit = ExitInfo::FromSiginfo(info, absl::Now());
  }
  spdlog::info("server \"{}\": pid {} {}", name, instance.pid, exit.ToString());
  const auto uptime = absl::ToChronoMilliseconds(exit.time - instance.start_time);
  const bool was_ready = instance.ready;
  // A failed health check killed it: the reason says which, before how it ended.
  const std::string health_failure = std::exchange(instance.health_failure, "");
  instance.last_exit = exit;
  Publish(record, &instance, v1::Event::EXITED);
  ForgetProcess(record, instance);

  switch (instance.state) {
    case ServerState::kStarting:
    case ServerState::kRunning: {
      std::uniform_real_distribution<double> jitter(-1.0, 1.0);
      RestartDecision decision = DecideAfterExit(
          health_failure.empty() ? SpecOf(record, instance)
                                 : PolicyAfterHealthFailure(SpecOf(record, instance)),
          exit, was_ready, uptime, instance.consecutive_failures, jitter(random_));
      instance.consecutive_failures = decision.consecutive_failures;
      instance.backoff_delay = decision.delay;
      if (!health_failure.empty()) decision.reason = health_failure + "; " + decision.reason;
      Dispatch(record, instance, decision.event, decision.reason);
      break;
    }
    default:  // stopping, or failed already: how it ended changes nothing
      Dispatch(record, instance, ServerEvent::kStoppedExit);
      break;
  }
}

}  // namespace corral::agent
