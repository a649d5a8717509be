#include "servers/cooperative/timeout_scope.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "servers/cooperative/where.h"

namespace corral::cooperative {
namespace {

// Per task of this thread: the earliest deadline at each nesting level (so the innermost entry
// is the binding one). Empty entries are erased, so the common "no scope" case is an empty map.
thread_local absl::flat_hash_map<const void*, std::vector<base::Deadline>> scopes;

}  // namespace

void PushTimeout(base::Deadline deadline) {
  std::vector<base::Deadline>& stack = scopes[CurrentTaskKey()];
  stack.push_back(stack.empty() ? deadline : std::min(deadline, stack.back()));
}

void PopTimeout() {
  auto it = scopes.find(CurrentTaskKey());
  if (it == scopes.end()) return;
  it->second.pop_back();
  if (it->second.empty()) scopes.erase(it);
}

base::Deadline CapByScope(base::Deadline deadline) {
  if (scopes.empty()) return deadline;
  auto it = scopes.find(CurrentTaskKey());
  if (it == scopes.end()) return deadline;
  return std::min(deadline, it->second.back());
}

}  // namespace corral::cooperative
