// ConfigPlan: what applying a config file would change on an agent, field by field, compared
// on effective specs (both validated, every default filled), so a file that leaves defaults
// out matches the agent's stored spec and shows no change.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"
#include "spec/field_apply.h"

namespace corral::spec {

struct FieldChange {
  std::string field;   // the proto name, "pool_size"
  std::string before;  // the value in the proto's JSON mapping, or "(unset)"
  std::string after;
  FieldApply how;
};

enum class ChangeKind {
  kCreate,  // not on the agent: Start
  kUpdate,  // every changed field applies at once
  kReload,  // some changed field needs new processes
  kRemove,  // on the agent, not in the file (--prune only)
};

struct PlannedChange {
  ChangeKind kind;
  v1::ServerSpec spec;              // the desired spec (the agent's, for kRemove)
  std::vector<FieldChange> fields;  // kUpdate and kReload
};

struct Plan {
  // Creates, updates and reloads in dependency order, then removals in reverse dependency
  // order (a dependent before what it depends on).
  std::vector<PlannedChange> changes;
  size_t unchanged = 0;
};

// The fields that differ between two effective specs of one server, in the proto's order.
std::vector<FieldChange> DiffSpecs(const v1::ServerSpec& before, const v1::ServerSpec& after);

// `desired`: the file's validated specs in file order; `live`: the agent's servers' specs.
// INVALID_ARGUMENT when a depends_on names a server neither in the file nor (without `prune`)
// on the agent, or a dependency would be pruned: the message names both servers.
absl::StatusOr<Plan> MakePlan(const std::vector<v1::ServerSpec>& desired,
                              const std::vector<v1::ServerSpec>& live, bool prune);

// For a person: one line per server changed ("create web", "reload api", "remove old"), one
// indented line per field ("pool_size: 4 -> 8 (new processes)"), then a summary; or
// "no changes (N servers)".
std::string FormatPlan(const Plan& plan);

const char* ChangeKindName(ChangeKind kind);

}  // namespace corral::spec
