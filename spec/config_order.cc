#include "spec/config_order.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace corral::spec {
namespace {

enum class Mark { kNew, kVisiting, kDone };

// Depth first from each server in the given order: a server is placed once all of its
// dependencies are, so the result is the given order wherever the dependencies allow it.
class Orderer {
 public:
  explicit Orderer(const std::vector<v1::ServerSpec>& specs)
      : specs_(specs), marks_(specs.size(), Mark::kNew) {
    for (size_t i = 0; i < specs.size(); ++i) index_.emplace(specs[i].name(), i);
  }

  absl::Status Visit(size_t i) {
    if (marks_[i] == Mark::kDone) return absl::OkStatus();
    if (marks_[i] == Mark::kVisiting) return Cycle(i);
    marks_[i] = Mark::kVisiting;
    path_.push_back(i);
    for (const std::string& dependency : specs_[i].depends_on()) {
      auto it = index_.find(dependency);
      if (it == index_.end()) continue;  // met elsewhere (the agent has it), or checked elsewhere
      if (absl::Status s = Visit(it->second); !s.ok()) return s;
    }
    path_.pop_back();
    marks_[i] = Mark::kDone;
    order_.push_back(i);
    return absl::OkStatus();
  }

  std::vector<size_t> order() && { return std::move(order_); }
  size_t cycle_member() const { return cycle_member_; }

 private:
  absl::Status Cycle(size_t again) {
    std::vector<std::string> names;
    size_t from = 0;
    while (path_[from] != again) ++from;
    cycle_member_ = path_[from];
    for (size_t k = from; k < path_.size(); ++k) names.push_back(specs_[path_[k]].name());
    names.push_back(specs_[again].name());
    return absl::InvalidArgumentError(
        absl::StrCat("depends_on cycle: ", absl::StrJoin(names, " -> ")));
  }

  const std::vector<v1::ServerSpec>& specs_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<Mark> marks_;
  std::vector<size_t> path_;  // the servers being visited, outermost first
  std::vector<size_t> order_;
  size_t cycle_member_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<size_t>> DependencyOrder(const std::vector<v1::ServerSpec>& specs,
                                                    size_t* cycle_member) {
  Orderer orderer(specs);
  for (size_t i = 0; i < specs.size(); ++i) {
    if (absl::Status s = orderer.Visit(i); !s.ok()) {
      if (cycle_member != nullptr) *cycle_member = orderer.cycle_member();
      return s;
    }
  }
  return std::move(orderer).order();
}

}  // namespace corral::spec
