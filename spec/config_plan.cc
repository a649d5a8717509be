#include "spec/config_plan.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "spec/config_order.h"

namespace corral::spec {
namespace {

using google::protobuf::FieldDescriptor;

// The field's value in the proto's JSON mapping (`8`, `"127.0.0.1:0"`, `["a","b"]`), or
// "(unset)": printed through a copy that holds only this field.
std::string FieldText(const v1::ServerSpec& spec, const FieldDescriptor& field) {
  const google::protobuf::Reflection& reflection = *spec.GetReflection();
  const bool present = field.is_repeated() ? reflection.FieldSize(spec, &field) > 0
                                           : reflection.HasField(spec, &field);
  if (!present) return "(unset)";
  v1::ServerSpec only;
  std::vector<const FieldDescriptor*> set;
  only.CopyFrom(spec);
  reflection.ListFields(only, &set);
  for (const FieldDescriptor* other : set) {
    if (other != &field) reflection.ClearField(&only, other);
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(only, &json, options);
  // {"NAME":VALUE}
  const size_t start = field.name().size() + 4;
  if (json.size() < start + 1) return json;
  return json.substr(start, json.size() - start - 1);
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kCreate:
      return "create";
    case ChangeKind::kUpdate:
      return "update in place";
    case ChangeKind::kReload:
      return "reload";
    case ChangeKind::kRemove:
      return "remove";
  }
  return "?";
}

std::vector<FieldChange> DiffSpecs(const v1::ServerSpec& before, const v1::ServerSpec& after) {
  std::vector<FieldChange> changes;
  const google::protobuf::Descriptor& type = *v1::ServerSpec::descriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    std::string old_text = FieldText(before, field);
    std::string new_text = FieldText(after, field);
    if (old_text == new_text) continue;
    changes.push_back(
        {field.name(), std::move(old_text), std::move(new_text), HowFieldApplies(field.name())});
  }
  return changes;
}

absl::StatusOr<Plan> MakePlan(const std::vector<v1::ServerSpec>& desired,
                              const std::vector<v1::ServerSpec>& live, bool prune) {
  absl::flat_hash_map<std::string, const v1::ServerSpec*> on_agent, in_file;
  for (const v1::ServerSpec& spec : live) on_agent.emplace(spec.name(), &spec);
  for (const v1::ServerSpec& spec : desired) in_file.emplace(spec.name(), &spec);
  for (const v1::ServerSpec& spec : desired) {
    for (const std::string& dependency : spec.depends_on()) {
      if (in_file.contains(dependency)) continue;
      if (!on_agent.contains(dependency)) {
        return absl::InvalidArgumentError(
            absl::StrCat("server \"", spec.name(), "\" depends on \"", dependency,
                         "\", which is neither in the file nor on the agent"));
      }
      if (prune) {
        return absl::InvalidArgumentError(
            absl::StrCat("server \"", spec.name(), "\" depends on \"", dependency,
                         "\", which --prune would remove: add it to the file"));
      }
    }
  }
  Plan plan;
  absl::StatusOr<std::vector<size_t>> order = DependencyOrder(desired);
  if (!order.ok()) return order.status();
  for (size_t i : *order) {
    const v1::ServerSpec& spec = desired[i];
    auto it = on_agent.find(spec.name());
    if (it == on_agent.end()) {
      plan.changes.push_back({ChangeKind::kCreate, spec, {}});
      continue;
    }
    std::vector<FieldChange> fields = DiffSpecs(*it->second, spec);
    if (fields.empty()) {
      ++plan.unchanged;
      continue;
    }
    ChangeKind kind = ChangeKind::kUpdate;
    for (const FieldChange& change : fields) {
      if (change.how == FieldApply::kNewProcesses) kind = ChangeKind::kReload;
    }
    plan.changes.push_back({kind, spec, std::move(fields)});
  }
  if (prune) {
    // The agent's servers in dependency order, walked backwards: dependents go first.
    absl::StatusOr<std::vector<size_t>> live_order = DependencyOrder(live);
    std::vector<size_t> indexes;
    if (live_order.ok()) {
      indexes = *std::move(live_order);
    } else {
      for (size_t i = 0; i < live.size(); ++i) indexes.push_back(i);
    }
    for (auto it = indexes.rbegin(); it != indexes.rend(); ++it) {
      if (!in_file.contains(live[*it].name())) {
        plan.changes.push_back({ChangeKind::kRemove, live[*it], {}});
      }
    }
  }
  return plan;
}

std::string FormatPlan(const Plan& plan) {
  if (plan.changes.empty()) return absl::StrCat("no changes (", plan.unchanged, " servers)\n");
  std::string out;
  size_t counts[4] = {0, 0, 0, 0};
  for (const PlannedChange& change : plan.changes) {
    ++counts[static_cast<int>(change.kind)];
    absl::StrAppend(&out, ChangeKindName(change.kind), " ", change.spec.name(), "\n");
    for (const FieldChange& field : change.fields) {
      absl::StrAppend(&out, "    ", field.field, ": ", field.before, " -> ", field.after, " (",
                      FieldApplyName(field.how), ")\n");
    }
  }
  absl::StrAppend(&out, "plan: ", counts[0], " to create, ", counts[1], " to update in place, ",
                  counts[2], " to reload, ", counts[3], " to remove, ", plan.unchanged,
                  " unchanged\n");
  return out;
}

}  // namespace corral::spec
