// DependencyOrder: the order in which servers start so that each comes after every server its
// `depends_on` names (and the reverse, for stopping and removing).
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {

// Indexes into `specs`, each after those of its dependencies; a dependency that is not among
// `specs` counts as met. Otherwise the given order is kept (a server comes right after the
// last of its dependencies to come first). A cycle is INVALID_ARGUMENT naming it,
// "depends_on cycle: a -> b -> a", and sets *cycle_member (if given) to the index of its first
// server.
absl::StatusOr<std::vector<size_t>> DependencyOrder(const std::vector<v1::ServerSpec>& specs,
                                                    size_t* cycle_member = nullptr);

}  // namespace corral::spec
