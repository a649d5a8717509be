#include "spec/config_field.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"

namespace corral::spec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

std::optional<FieldError> Error(const YAML::Node& node, std::string path, std::string message) {
  return FieldError{node.Mark(), std::move(path), std::move(message)};
}

const FieldDescriptor* FindField(const Descriptor& message, const std::string& key) {
  if (const FieldDescriptor* field = message.FindFieldByName(key)) return field;
  return message.FindFieldByCamelcaseName(key);
}

// The enum value `text` names: its own name, or the one value whose name ends in "_" + TEXT
// (dashes as underscores, any case): "tcp-echo" -> PROTOCOL_TCP_ECHO.
std::optional<std::string> EnumValueName(const EnumDescriptor& type, const std::string& text) {
  if (type.FindValueByName(text) != nullptr) return text;
  const std::string suffix = "_" + absl::AsciiStrToUpper(absl::StrReplaceAll(text, {{"-", "_"}}));
  const google::protobuf::EnumValueDescriptor* found = nullptr;
  for (int i = 0; i < type.value_count(); ++i) {
    const std::string& name = type.value(i)->name();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      if (found != nullptr) return std::nullopt;  // ambiguous
      found = type.value(i);
    }
  }
  if (found == nullptr) return std::nullopt;
  return found->name();
}

std::string EnumChoices(const EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 1; i < type.value_count(); ++i) names.push_back(type.value(i)->name());
  return absl::StrJoin(names, ", ");
}

std::optional<FieldError> ToJson(const YAML::Node& node, const FieldDescriptor& field, bool element,
                                 const std::string& path, json& out);

std::optional<FieldError> MessageToJson(const YAML::Node& node, const Descriptor& type,
                                        const std::string& path, json& out) {
  if (!node.IsMap()) return Error(node, path, "expected a mapping of field: value");
  out = json::object();
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const FieldDescriptor* field = FindField(type, key);
    const std::string sub = path.empty() ? key : absl::StrCat(path, ".", key);
    if (field == nullptr)
      return Error(entry.first, sub, absl::StrCat("unknown field of ", type.name()));
    if (out.contains(field->name())) return Error(entry.first, sub, "given twice");
    if (auto e = ToJson(entry.second, *field, false, sub, out[field->name()])) return e;
  }
  return std::nullopt;
}

std::optional<FieldError> ScalarToJson(const YAML::Node& node, const FieldDescriptor& field,
                                       const std::string& path, json& out) {
  if (!node.IsScalar()) return Error(node, path, "expected a single value");
  const std::string& text = node.Scalar();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      out = text;
      return std::nullopt;
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower == "true" || lower == "yes" || lower == "on") {
        out = true;
      } else if (lower == "false" || lower == "no" || lower == "off") {
        out = false;
      } else {
        return Error(node, path, absl::StrCat("\"", text, "\" is not true or false"));
      }
      return std::nullopt;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      std::optional<std::string> name = EnumValueName(*field.enum_type(), text);
      if (!name) {
        return Error(node, path,
                     absl::StrCat("\"", text, "\" is not one of ", EnumChoices(*field.enum_type()),
                                  " (or the end of one, as tcp-echo)"));
      }
      out = *name;
      return std::nullopt;
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) {
        return Error(node, path, absl::StrCat("\"", text, "\" is not a whole number"));
      }
      out = value;
      return std::nullopt;
    }
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) {
        return Error(node, path, absl::StrCat("\"", text, "\" is not a whole number of 0 or more"));
      }
      out = value;
      return std::nullopt;
    }
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value = 0;
      if (!absl::SimpleAtod(text, &value)) {
        return Error(node, path, absl::StrCat("\"", text, "\" is not a number"));
      }
      out = value;
      return std::nullopt;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Error(node, path, "unsupported field type");
}

std::optional<FieldError> ToJson(const YAML::Node& node, const FieldDescriptor& field, bool element,
                                 const std::string& path, json& out) {
  if (field.is_map()) {
    if (!node.IsMap()) return Error(node, path, "expected a mapping of KEY: VALUE");
    const FieldDescriptor& value_field = *field.message_type()->map_value();
    out = json::object();
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (auto e = ToJson(entry.second, value_field, true, absl::StrCat(path, ".", key), out[key]))
        return e;
    }
    return std::nullopt;
  }
  if (field.is_repeated() && !element) {
    if (!node.IsSequence()) return Error(node, path, "expected a list ([a, b] or - items)");
    out = json::array();
    int i = 0;
    for (const auto& item : node) {
      json value;
      if (auto e = ToJson(item, field, true, absl::StrCat(path, "[", i++, "]"), value)) return e;
      out.push_back(std::move(value));
    }
    return std::nullopt;
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return MessageToJson(node, *field.message_type(), path, out);
  }
  return ScalarToJson(node, field, path, out);
}

}  // namespace

std::optional<FieldError> ReadSpecField(const YAML::Node& key, const YAML::Node& value,
                                        v1::ServerSpec& spec, std::string* field_name) {
  const std::string name = key.Scalar();
  const FieldDescriptor* field = FindField(*v1::ServerSpec::descriptor(), name);
  if (field == nullptr) {
    return Error(key, name, "unknown field of ServerSpec (docs/config.md lists them)");
  }
  *field_name = field->name();
  json object = json::object();
  if (auto e = ToJson(value, *field, false, name, object[field->name()])) return e;
  v1::ServerSpec read;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string text = object.dump(-1, ' ', false, json::error_handler_t::replace);
  if (auto status = google::protobuf::util::JsonStringToMessage(text, &read, options);
      !status.ok()) {
    return Error(value, name, std::string(status.message()));
  }
  spec.MergeFrom(read);
  return std::nullopt;
}

}  // namespace corral::spec
