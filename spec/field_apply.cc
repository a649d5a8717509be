#include "spec/field_apply.h"

#include <array>

namespace corral::spec {
namespace {

// The fields only the agent reads. Each is read when it is needed (the next restart decision,
// the next probe, the next memory sample, the next apply), so a new value applies without
// touching the processes. Every other field reaches the process (its spec, argv, environment
// or sockets), or is its identity (name). Not among them: stop_timeout_ms (corral-server times
// its own drain from it) and the log limits (each process's corral-logger is started with
// them, so only new processes see them).
constexpr std::array<std::string_view, 17> kAtOnce = {
    "restart_policy",
    "backoff_initial_ms",
    "backoff_max_ms",
    "stable_after_ms",
    "max_failures",
    "ready_timeout_ms",
    "health",
    "health_interval_ms",
    "health_timeout_ms",
    "health_failures",
    "memory_max_bytes",
    "depends_on",
    // The rollout gates are read by the agent when a reload begins, never by a process.
    "rollout_check_ms",
    "rollout_max_error_rate",
    "rollout_max_p99_ms",
    "rollout_min_requests",
    "rollout_require_requests",
};

}  // namespace

FieldApply HowFieldApplies(std::string_view field) {
  for (std::string_view name : kAtOnce) {
    if (name == field) return FieldApply::kAtOnce;
  }
  return FieldApply::kNewProcesses;
}

const char* FieldApplyName(FieldApply how) {
  return how == FieldApply::kAtOnce ? "at once" : "new processes";
}

}  // namespace corral::spec
