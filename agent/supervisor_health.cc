// The health side of the Supervisor (issue 21 items 4 and 6): a RUNNING process gets the
// liveness probe of spec.health (health_check.h) and the memory guard of spec.memory_max_bytes
// (memory_guard.h); when either gives up on it, the process is restarted gracefully through the
// normal path: SIGTERM (SIGKILL of the tree after the stop timeout), then its exit is decided by
// the restart policy with its backoff, as a crash would be.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "agent/procfs/proc_fs.h"
#include "agent/server_record.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/health_mode.h"

namespace corral::agent {
namespace {

// One memory sample a second; this many above the limit in a row restart the server. A single
// sample can catch a short peak (a burst of requests, a fork); three seconds of it cannot.
constexpr std::chrono::milliseconds kMemoryInterval{1000};
constexpr uint32_t kMemorySamples = 3;

const procfs::ProcFs& Proc() {
  static const procfs::ProcFs* fs = new procfs::ProcFs();
  return *fs;
}

}  // namespace

v1::ServerSpec PolicyAfterHealthFailure(const v1::ServerSpec& spec) {
  v1::ServerSpec failing = spec;
  if (failing.restart_policy() == v1::RESTART_ON_FAILURE) {
    failing.set_restart_policy(v1::RESTART_ALWAYS);
  }
  return failing;
}

void Supervisor::StartHealthWatch(Record& record) {
  StopHealthWatch(record);
  if (record.pid == 0) return;
  const std::string name = record.spec.name();
  const uint64_t id = record.id;
  const pid_t pid = record.pid;
  auto on_failure = [this, name, id, pid](std::string why) { OnUnhealthy(name, id, pid, why); };
  // The first socket's address: held by this agent, or (adopted) by the process itself.
  if (!record.spec.health().empty() && !record.bound_address.empty()) {
    absl::StatusOr<spec::HealthMode> mode = spec::ParseHealthMode(record.spec.health());
    if (mode.ok()) {  // validated; cannot fail
      HealthCheck::Options options;
      options.mode = *mode;
      options.address = record.bound_address;
      options.interval = std::chrono::milliseconds(record.spec.health_interval_ms());
      options.timeout = std::chrono::milliseconds(record.spec.health_timeout_ms());
      options.failures = std::max<uint32_t>(1, record.spec.health_failures());
      record.health.check = std::make_unique<HealthCheck>(loop_, options, on_failure);
    }
  }
  if (record.spec.memory_max_bytes() != 0) {
    MemoryGuard::Options options;
    options.pid = pid;
    options.max_bytes = record.spec.memory_max_bytes();
    options.interval = kMemoryInterval;
    options.samples = kMemorySamples;
    record.health.memory = std::make_unique<MemoryGuard>(loop_, Proc(), options, on_failure);
  }
}

void Supervisor::StopHealthWatch(Record& record) {
  record.health.check.reset();
  record.health.memory.reset();
  loop_.Cancel(record.health.kill_timer);
  record.health.kill_timer = 0;
  record.health.restarting = false;
}

void Supervisor::OnUnhealthy(const std::string& name, uint64_t id, pid_t pid,
                             const std::string& why) {
  Record* record = Find(name, id);
  if (record == nullptr || record->pid != pid || record->state != ServerState::kRunning ||
      record->health.restarting) {
    return;  // that process has gone, is stopping, or is being restarted already
  }
  spdlog::warn("server \"{}\": {}; restarting it", name, why);
  record->health.restarting = true;
  record->health.check.reset();  // one restart per process, whichever check fails first
  record->health.memory.reset();
  record->health_failure = why;  // the restart's reason starts with it (OnProcessExit)
  record->reason = why;
  Publish(*record, v1::Event::UNHEALTHY);
  // As a Stop would end it, but the state stays RUNNING: the exit then goes through the restart
  // policy, so backoff and FATAL apply to a server that keeps failing its checks.
  record->tree.Snapshot(pid);
  record->tree.SnapshotTagged(record->tree_tag);
  ::kill(pid, SIGTERM);
  record->health.kill_timer = loop_.RunAfter(
      std::chrono::milliseconds(record->spec.stop_timeout_ms()), [this, name, id, pid] {
        Record* r = Find(name, id);
        if (r == nullptr || r->pid != pid) return;
        r->health.kill_timer = 0;
        spdlog::warn("server \"{}\": still running after the stop timeout; killing its tree", name);
        r->tree.Snapshot(pid);
        r->tree.SnapshotTagged(r->tree_tag);
        ::kill(pid, SIGKILL);
        r->tree.KillAll(pid);
      });
}

}  // namespace corral::agent
