// The rollout gates of a reload (issue 22 item 3): once a new instance is READY and has taken
// its place, the reload waits rollout_check_ms before the next one and judges the instance by
// its own scoreboard over that window (agent/rollout_gate.h): the counts and the latency
// histogram read at READY are subtracted from those read at the window's end, so the figures
// are the new process's alone, never the server's sum. A command server has no scoreboard: its
// health probe runs through the window instead, and its first failure ends it. A breach turns
// the reload into a rollback (supervisor_reload.cc).
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "agent/procfs/proc_fs.h"
#include "agent/rollout_gate.h"
#include "agent/server_record.h"
#include "agent/supervisor.h"
#include "agent/tree_kill.h"
#include "servers/stats/stats_sampler.h"
#include "spdlog/spdlog.h"
#include "spec/command_validation.h"
#include "spec/health_mode.h"

namespace corral::agent {
namespace {

// A probe every fifth of the window (at least every 50 ms, at most the spec's interval), so a
// window sees several.
std::chrono::milliseconds ProbeInterval(const v1::ServerSpec& spec, uint32_t check_ms) {
  const uint32_t fifth = std::max<uint32_t>(50, check_ms / 5);
  return std::chrono::milliseconds(std::min(fifth, spec.health_interval_ms()));
}

}  // namespace

absl::StatusOr<stats::Snapshot> Supervisor::ReadOwnScoreboard(const Record& record,
                                                              const Instance& instance) const {
  stats::StatsSampler sampler(InstanceDir(record, instance) + "/scoreboard");
  absl::StatusOr<stats::Snapshot> read = sampler.Read();
  if (!read.ok()) return read.status();
  // Published at READY: the file at the path is this process's unless that failed.
  if (read->identity.server_pid != instance.pid) {
    return absl::FailedPreconditionError(absl::StrCat(
        "its scoreboard is pid ", read->identity.server_pid, "'s, not pid ", instance.pid, "'s"));
  }
  return read;
}

void Supervisor::BeginCheck(Record& record, Instance& fresh) {
  ReloadRun& reload = *record.reload;
  reload.checking = fresh.serial;
  reload.checking_pid = fresh.pid;
  const v1::ServerSpec& spec = SpecOf(record, fresh);
  if (!spec::IsCommandServer(spec)) {
    absl::StatusOr<stats::Snapshot> base = ReadOwnScoreboard(record, fresh);
    if (base.ok()) {
      reload.base = *std::move(base);
    } else {
      spdlog::warn("server \"{}\": read the scoreboard of pid {} for its check: {}",
                   record.spec.name(), fresh.pid, std::string(base.status().message()));
    }
  }
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const uint64_t serial = fresh.serial;
  if (!spec.health().empty() && !fresh.bound_address.empty()) {
    absl::StatusOr<spec::HealthMode> mode = spec::ParseHealthMode(spec.health());
    if (mode.ok()) {  // validated
      HealthCheck::Options options;
      options.mode = *mode;
      options.address = fresh.bound_address;
      options.interval = ProbeInterval(spec, reload.gates.check_ms);
      options.timeout = std::chrono::milliseconds(spec.health_timeout_ms());
      options.failures = 1;
      reload.probe =
          std::make_unique<HealthCheck>(loop_, options, [this, name, id, serial](std::string why) {
            Record* r = Find(name, id);
            if (r == nullptr || r->reload == nullptr || r->reload->checking != serial) return;
            FailReload(*r, absl::AbortedError(absl::StrCat("rolled back ", name, ": ", why)));
          });
    }
  }
  reload.check_timer =
      loop_.RunAfter(std::chrono::milliseconds(reload.gates.check_ms), [this, name, id, serial] {
        Record* r = Find(name, id);
        if (r == nullptr || r->reload == nullptr || r->reload->checking != serial) {
          return;
        }
        r->reload->check_timer = 0;
        EndCheck(*r);
      });
}

void Supervisor::EndCheck(Record& record) {
  ReloadRun& reload = *record.reload;
  const std::string name = record.spec.name();
  Instance* fresh = Find(name, record.id, reload.checking);
  const pid_t pid = reload.checking_pid;
  std::optional<stats::Snapshot> base = std::move(reload.base);
  StopCheck(reload);
  auto rolled_back = [&](const std::string& what) {
    FailReload(record, absl::AbortedError(absl::StrCat(
                           "rolled back ", name, ": ", what,
                           record.instances.size() > 1 ? absl::StrCat(" on instance ", reload.next)
                                                       : std::string())));
  };
  if (fresh == nullptr || fresh->pid != pid || fresh->state != ServerState::kRunning) {
    return rolled_back(absl::StrCat(
        "new pid ", pid, " ended during its check",
        fresh != nullptr && !fresh->reason.empty() ? ": " + fresh->reason : std::string()));
  }
  GateVerdict verdict;
  if (spec::IsCommandServer(SpecOf(record, *fresh))) {
    verdict.judged = !SpecOf(record, *fresh).health().empty();
    verdict.summary =
        verdict.judged
            ? absl::StrCat("health ", SpecOf(record, *fresh).health(), " passed through the check")
            : "not judged: a command server without --health has no figures";
  } else {
    absl::StatusOr<stats::Snapshot> cur =
        base ? ReadOwnScoreboard(record, *fresh)
             : absl::StatusOr<stats::Snapshot>(absl::NotFoundError("not read at READY"));
    if (cur.ok()) {
      verdict = JudgeWindow(reload.gates, *base, *cur);
    } else {
      verdict.pass = !reload.gates.require_requests;
      verdict.summary =
          absl::StrCat(verdict.pass ? "not judged: " : "", "its scoreboard could not be read (",
                       cur.status().message(), ")");
    }
  }
  if (!verdict.pass) return rolled_back(verdict.summary);
  const std::string outcome = absl::StrCat(
      record.instances.size() > 1 ? absl::StrCat("instance ", reload.next, ": ") : std::string(),
      verdict.summary);
  spdlog::info("server \"{}\": pid {} passed its check: {}", name, pid, verdict.summary);
  reload.verdicts.push_back(outcome);
  Publish(record, fresh, v1::Event::CHECKED, verdict.summary);
  AdvanceReload(record);
}

void Supervisor::StopCheck(ReloadRun& reload) {
  loop_.Cancel(reload.check_timer);
  reload.check_timer = 0;
  reload.probe.reset();
  reload.base.reset();
  reload.checking = 0;
  reload.checking_pid = 0;
}

void Supervisor::KillInterruptedCandidate(const v1::ServerRecord& saved) {
  if (!saved.has_reload_candidate() || saved.reload_candidate().pid() <= 0) return;
  const v1::InstanceRecord& candidate = saved.reload_candidate();
  base::UniqueFd pidfd(PidfdOpen(candidate.pid()));
  if (!pidfd) return;  // gone
  absl::StatusOr<uint64_t> ticks = procfs::StartTimeTicks(candidate.pid());
  if (!ticks.ok() || *ticks != candidate.pid_start_ticks()) return;  // another process now
  // Its reload ended with the agent that ran it: nobody would drain the instance it was to
  // replace, nor count it. Killed, so it does not serve beside the instances unsupervised.
  spdlog::warn(
      "server \"{}\": killing pid {}, the new process of a reload the previous agent "
      "did not finish",
      saved.spec().name(), candidate.pid());
  TreeKill tree;
  tree.Snapshot(candidate.pid());
  PidfdSendSignal(pidfd.get(), SIGKILL);
  tree.KillAll(candidate.pid());
}

}  // namespace corral::agent
