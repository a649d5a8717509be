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

void Supervisor::StartHealthWatch(Record& record, Instance& instance) {
  StopHealthWatch(instance);
  if (instance.pid == 0) return;
  const v1::ServerSpec& spec = SpecOf(record, instance);
  const std::string name = spec.name();
  const uint64_t id = record.id;
  const uint64_t serial = instance.serial;
  const pid_t pid = instance.pid;
  auto on_failure = [this, name, id, serial, pid](std::string why) {
    OnUnhealthy(name, id, serial, pid, why);
  };
  // The first socket's address: held by this agent, or (adopted) by the process itself.
  if (!spec.health().empty() && !instance.bound_address.empty()) {
    absl::StatusOr<spec::HealthMode> mode = spec::ParseHealthMode(spec.health());
    if (mode.ok()) {  // validated; cannot fail
      HealthCheck::Options options;
      options.mode = *mode;
      options.address = instance.bound_address;
      options.interval = std::chrono::milliseconds(spec.health_interval_ms());
      options.timeout = std::chrono::milliseconds(spec.health_timeout_ms());
      options.failures = std::max<uint32_t>(1, spec.health_failures());
      instance.health.check = std::make_unique<HealthCheck>(loop_, options, on_failure);
    }
  }
  if (spec.memory_max_bytes() != 0) {
    MemoryGuard::Options options;
    options.pid = pid;
    options.max_bytes = spec.memory_max_bytes();
    options.interval = kMemoryInterval;
    options.samples = kMemorySamples;
    instance.health.memory = std::make_unique<MemoryGuard>(loop_, Proc(), options, on_failure);
  }
}

void Supervisor::StopHealthWatch(Instance& instance) {
  instance.health.check.reset();
  instance.health.memory.reset();
  loop_.Cancel(instance.health.kill_timer);
  instance.health.kill_timer = 0;
  instance.health.restarting = false;
}

void Supervisor::OnUnhealthy(const std::string& name, uint64_t id, uint64_t serial, pid_t pid,
                             const std::string& why) {
  Record* record = Find(name, id);
  Instance* instance = Find(name, id, serial);
  if (record == nullptr || instance == nullptr || instance->pid != pid ||
      instance->state != ServerState::kRunning || instance->health.restarting) {
    return;  // that process has gone, is stopping, or is being restarted already
  }
  spdlog::warn("server \"{}\": {}; restarting it", name, why);
  instance->health.restarting = true;
  instance->health.check.reset();  // one restart per process, whichever check fails first
  instance->health.memory.reset();
  instance->health_failure = why;  // the restart's reason starts with it (OnProcessExit)
  instance->reason = why;
  Publish(*record, instance, v1::Event::UNHEALTHY, why);
  // As a Stop would end it, but the state stays RUNNING: the exit then goes through the restart
  // policy, so backoff and FATAL apply to a server that keeps failing its checks.
  instance->tree.Snapshot(pid);
  instance->tree.SnapshotTagged(instance->tree_tag);
  ::kill(pid, SIGTERM);
  instance->health.kill_timer = loop_.RunAfter(
      std::chrono::milliseconds(SpecOf(*record, *instance).stop_timeout_ms()),
      [this, name, id, serial, pid] {
        Instance* i = Find(name, id, serial);
        if (i == nullptr || i->pid != pid) return;
        i->health.kill_timer = 0;
        spdlog::warn("server \"{}\": still running after the stop timeout; killing its tree", name);
        i->tree.Snapshot(pid);
        i->tree.SnapshotTagged(i->tree_tag);
        ::kill(pid, SIGKILL);
        i->tree.KillAll(pid);
      });
}

}  // namespace corral::agent
