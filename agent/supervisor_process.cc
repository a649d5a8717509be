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

absl::StatusOr<SpawnedServer> Supervisor::Launch(Record& record, const std::string& dir) {
  // Resolved at every spawn: the user may have gone, or the agent's flags changed.
  absl::StatusOr<std::optional<Credentials>> credentials =
      ResolveRunAs(record.spec, config_.run_as);
  if (!credentials.ok()) return credentials.status();
  if (record.sockets.empty()) {
    // Bound once and held from then on; after an adoption, the adopted process's addresses.
    const std::vector<v1::ListenSocket> wanted =
        record.rebind.empty() ? RequestedSockets(record.spec) : record.rebind;
    absl::StatusOr<std::vector<HeldSocket>> bound = BindSockets(wanted);
    if (!bound.ok()) return bound.status();
    record.sockets = *std::move(bound);
    record.rebind.clear();
  }
  absl::StatusOr<std::vector<std::string>> env =
      ServerEnvironment(record.spec, notify_.address(), record.sockets);
  if (!env.ok()) return env.status();
  const bool command = spec::IsCommandServer(record.spec);
  absl::StatusOr<std::vector<std::string>> argv =
      command ? ResolveCommand(record.spec, *env)
              : ServerArgv(config_.server_binary, dir, record.sockets.size());
  if (!argv.ok()) return argv.status();
  record.tree_tag = absl::StrCat("CORRAL_SERVER=", record.spec.name(), ":",
                                 absl::Hex(random_(), absl::kZeroPad16));
  env->push_back(record.tree_tag);
  ServerLaunch launch;
  launch.credentials = *credentials;
  if (!command) launch.scoreboard_path = dir + "/scoreboard";
  launch.env = *std::move(env);
  launch.cwd = record.spec.cwd();
  launch.max_open_files = record.spec.max_open_files();
  if (record.spec.has_umask()) launch.umask = static_cast<mode_t>(record.spec.umask());
  for (const HeldSocket& held : record.sockets) launch.listen_fds.push_back(held.fd.get());
  LogSettings log{config_.logger_binary, dir, record.spec.log_max_bytes(),
                  record.spec.log_keep_files()};
  return SpawnServer(*argv, command ? nullptr : &record.spec, log, launch);
}

void Supervisor::SpawnProcess(Record& record) {
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  std::string servers_dir = config_.home + "/servers";
  std::string dir = servers_dir + "/" + name;
  ::mkdir(servers_dir.c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);

  record.bound_address.clear();
  record.status.clear();
  record.notify_main_pid = 0;
  record.ready = false;
  record.adopted = false;
  absl::StatusOr<SpawnedServer> spawned = Launch(record, dir);
  if (!spawned.ok()) {
    // Dispatch from the loop, not from inside this transition.
    loop_.RunInLoop([this, name, id, why = std::string(spawned.status().message())] {
      if (Record* r = Find(name, id)) Dispatch(*r, ServerEvent::kStartFailed, why);
    });
    return;
  }
  record.pid = spawned->pid;
  record.pidfd = std::move(spawned->pidfd);
  record.scoreboard = std::move(spawned->scoreboard);
  record.start_time = absl::Now();
  record.pid_start_ticks = procfs::StartTimeTicks(record.pid).value_or(0);
  loggers_.Reap(std::move(spawned->logger_pidfd));
  spdlog::info("server \"{}\": spawned pid {}", name, record.pid);
  Publish(record, v1::Event::STARTED);
  SaveStateOrWarn();  // before anything else: a new agent must know this pid

  if (absl::Status watched = WatchProcess(record); !watched.ok()) {
    // Unwatched, its exit would never be seen: a server nobody supervises.
    AbandonProcess(record, watched);
    loop_.RunInLoop([this, name, id, why = std::string(watched.message())] {
      if (Record* r = Find(name, id)) Dispatch(*r, ServerEvent::kStartFailed, why);
    });
    return;
  }
  auto ready_timeout = std::chrono::milliseconds(record.spec.ready_timeout_ms());
  record.timer = loop_.RunAfter(ready_timeout, [this, name, id, ready_timeout] {
    if (Record* r = Find(name, id)) {
      r->timer = 0;
      Dispatch(*r, ServerEvent::kReadyTimeout,
               absl::StrCat("did not report ready within ",
                            absl::FormatDuration(absl::FromChrono(ready_timeout)),
                            "; killed (see `corralctl logs ", name, "`)"));
    }
  });
  StartReadyCheck(record);
}

absl::Status Supervisor::WatchProcess(Record& record) {
  return loop_.Watch(record.pidfd.get(), EPOLLIN,
                     [this, name = record.spec.name(), id = record.id](uint32_t) {
                       if (Record* r = Find(name, id)) OnProcessExit(*r);
                     });
}

void Supervisor::AbandonProcess(Record& record, const absl::Status& why) {
  spdlog::error("server \"{}\": cannot supervise pid {}: {}; killing its process tree",
                record.spec.name(), record.pid, std::string(why.message()));
  StopReadyCheck(record);
  record.tree.Snapshot(record.pid);
  PidfdSendSignal(record.pidfd.get(), SIGKILL);
  record.tree.KillAll(record.pid);
  if (!record.adopted) {
    // Our child, just SIGKILLed: the wait is short, and it leaves no zombie behind.
    siginfo_t info{};
    while (::waitid(P_PIDFD, record.pidfd.get(), &info, WEXITED) != 0 && errno == EINTR) {
    }
  }
  ForgetProcess(record);
}

bool Supervisor::TryAdopt(Record& record, const v1::ServerRecord& saved) {
  if (saved.pid() <= 0) return false;
  base::UniqueFd pidfd(PidfdOpen(saved.pid()));
  if (!pidfd) return false;  // gone
  absl::StatusOr<uint64_t> ticks = procfs::StartTimeTicks(saved.pid());
  if (!ticks.ok() || *ticks != saved.pid_start_ticks()) {
    spdlog::info("server \"{}\": pid {} now belongs to another process; not adopting it",
                 record.spec.name(), saved.pid());
    return false;
  }
  if (!saved.ready() && saved.bound_address().empty()) {
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
  record.pid = saved.pid();
  record.tree_tag.clear();
  record.pid_start_ticks = saved.pid_start_ticks();
  record.pidfd = std::move(pidfd);
  record.bound_address = saved.bound_address();
  // The adopted process holds its sockets; this agent has none until it has gone.
  record.rebind.assign(saved.sockets().begin(), saved.sockets().end());
  record.start_time = absl::FromUnixSeconds(saved.start_time().seconds()) +
                      absl::Nanoseconds(saved.start_time().nanos());
  record.ready = true;
  record.adopted = true;
  spdlog::info("server \"{}\": adopted pid {} listening on {}", record.spec.name(), record.pid,
               record.bound_address);
  if (absl::Status s = WatchProcess(record); !s.ok()) {
    AbandonProcess(record, s);
    return false;
  }
  Dispatch(record, ServerEvent::kAdopted);
  return true;
}

void Supervisor::ReleaseSockets(Record& record) {
  record.rebind.clear();  // stopped for good: the next start binds the spec's addresses
  if (record.sockets.empty()) return;
  spdlog::info("server \"{}\": closing its {} socket(s)", record.spec.name(),
               record.sockets.size());
  record.sockets.clear();
}

void Supervisor::ForgetProcess(Record& record) {
  if (record.pidfd) (void)loop_.Unwatch(record.pidfd.get());  // logs its own error
  record.pidfd.Reset();
  record.scoreboard.Reset();  // never named if it never got READY
  StopReadyCheck(record);
  StopWatchdog(record);
  StopHealthWatch(record);
  record.pid = 0;
  record.pid_start_ticks = 0;
  record.bound_address.clear();
  record.tree.Clear();
  record.tree_tag.clear();
}

void Supervisor::OnProcessExit(Record& record) {
  // A message sent just before exiting may still be queued: read it while the sender's pid
  // still names this server (our zombie holds it).
  OnNotifyReadable();

  // Kill what is left of the tree (forked children) while the process group id cannot have
  // been recycled: our zombie still holds it, or (adopted) its surviving members do.
  record.tree.SnapshotTagged(record.tree_tag);
  record.tree.KillAll(record.pid);
  if (size_t running = record.tree.WaitGone(kKilledTreeGrace); running > 0) {
    spdlog::warn("server \"{}\": {} process(es) of its tree still run {} ms after SIGKILL",
                 record.spec.name(), running, kKilledTreeGrace.count());
  }
  ExitInfo exit;
  if (record.adopted) {
    exit = ExitInfo::Unknown(absl::Now());  // not our child: waitid() cannot see it
  } else {
    siginfo_t info{};
    if (::waitid(P_PIDFD, record.pidfd.get(), &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
      return;  // not exited after all
    }
    exit = ExitInfo::FromSiginfo(info, absl::Now());
  }
  spdlog::info("server \"{}\": pid {} {}", record.spec.name(), record.pid, exit.ToString());
  const auto uptime = absl::ToChronoMilliseconds(exit.time - record.start_time);
  const bool was_ready = record.ready;
  // A failed health check killed it: the reason says which, before how it ended.
  const std::string health_failure = std::exchange(record.health_failure, "");
  record.last_exit = exit;
  Publish(record, v1::Event::EXITED);
  ForgetProcess(record);

  switch (record.state) {
    case ServerState::kStarting:
    case ServerState::kRunning: {
      std::uniform_real_distribution<double> jitter(-1.0, 1.0);
      RestartDecision decision = DecideAfterExit(
          health_failure.empty() ? record.spec : PolicyAfterHealthFailure(record.spec), exit,
          was_ready, uptime, record.consecutive_failures, jitter(random_));
      record.consecutive_failures = decision.consecutive_failures;
      record.backoff_delay = decision.delay;
      if (!health_failure.empty()) decision.reason = health_failure + "; " + decision.reason;
      Dispatch(record, decision.event, decision.reason);
      break;
    }
    default:  // stopping, or failed already: how it ended changes nothing
      Dispatch(record, ServerEvent::kStoppedExit);
      break;
  }
}

}  // namespace corral::agent
