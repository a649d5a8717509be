// Supervisor::HealthWatch: the health probe and the memory guard of a server's current process,
// and the graceful restart they started. Part of Supervisor::Record (server_record.h); loop
// thread only. Built in supervisor_health.cc.
#pragma once

#include <memory>
#include <string>

#include "agent/event_loop.h"
#include "agent/health_check.h"
#include "agent/memory_guard.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

struct HealthWatch {
  std::unique_ptr<HealthCheck> check;   // spec.health, from READY on
  std::unique_ptr<MemoryGuard> memory;  // spec.memory_max_bytes, from READY on
  // A check failed: SIGTERM was sent, and this SIGKILLs the tree after stop_timeout_ms.
  EventLoop::TimerId kill_timer = 0;
  bool restarting = false;
};

// The spec whose restart policy decides the exit of a process a check ended: on-failure becomes
// always, since the process failed whatever exit code it chose on SIGTERM.
v1::ServerSpec PolicyAfterHealthFailure(const v1::ServerSpec& spec);

}  // namespace corral::agent
