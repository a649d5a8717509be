#include "spec/config_export.h"

#include <google/protobuf/util/json_util.h>

#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace corral::spec {
namespace {

// Ordered: the proto printer writes fields in their .proto order (name first), and so does the
// file.
using json = nlohmann::ordered_json;

void Emit(const json& value, YAML::Emitter& out) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      Emit(item, out);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    // Lists of scalars on one line ([a, b]), as people write depends_on and command.
    bool scalars = true;
    for (const json& item : value) scalars = scalars && item.is_primitive();
    out << (scalars ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const json& item : value) Emit(item, out);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << value.get<std::string>();
  } else if (value.is_boolean()) {
    out << (value.get<bool>() ? "true" : "false");
  } else {
    out << value.dump();  // a number, as the proto's JSON wrote it
  }
}

}  // namespace

std::string ExportConfig(const std::vector<v1::ServerSpec>& specs) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "servers" << YAML::Value << YAML::BeginSeq;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  for (const v1::ServerSpec& spec : specs) {
    std::string text;
    (void)google::protobuf::util::MessageToJsonString(spec, &text, options);
    // The proto's own printer: it cannot produce text nlohmann refuses.
    Emit(json::parse(text, nullptr, /*allow_exceptions=*/false), out);
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string("# corralctl export: every field of every server, as the agent holds it.\n") +
         out.c_str() + "\n";
}

}  // namespace corral::spec
