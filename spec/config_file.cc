#include "spec/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "spec/config_field.h"
#include "spec/config_order.h"
#include "spec/spec_validation.h"
#include "yaml-cpp/yaml.h"

namespace corral::spec {
namespace {

FilePosition PositionOf(const YAML::Mark& mark) { return {mark.line + 1, mark.column + 1}; }

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Whether `word` occurs in `text` as a whole word.
size_t FindWord(std::string_view text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !IsWordChar(text[at - 1]);
    const size_t end = at + word.size();
    if (starts && (end == text.size() || !IsWordChar(text[end]))) return at;
  }
  return std::string_view::npos;
}

// The field a ValidateSpec message is about. Its messages name the field in words
// ("pool_size applies to ...", "listen address is empty", "depends_on names ..."), so the
// field of ServerSpec named first, preferring one the entry gave, is the one to point at.
std::string FieldOfMessage(absl::string_view absl_message, const ConfigServer& server) {
  const std::string_view message(absl_message.data(), absl_message.size());
  const google::protobuf::Descriptor& type = *v1::ServerSpec::descriptor();
  std::string best;
  size_t best_at = std::string_view::npos;
  bool best_given = false;
  for (int i = 0; i < type.field_count(); ++i) {
    const std::string& name = type.field(i)->name();
    size_t at = FindWord(message, name);
    if (at == std::string_view::npos && name == "handler_args")
      at = FindWord(message, "handler_arg");
    if (at == std::string_view::npos) continue;
    const bool given = server.fields.contains(name);
    if (best.empty() || (given && !best_given) || (given == best_given && at < best_at)) {
      best = name;
      best_at = at;
      best_given = given;
    }
  }
  // The address parser's messages say "address", "port" or "host", never the field.
  if (best.empty() && server.fields.contains("listen")) best = "listen";
  return best;
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// Reads one entry of `servers`: each key onto the spec, then the spec validated.
absl::Status ReadServer(const YAML::Node& entry, size_t index, ConfigFile& file) {
  ConfigServer server;
  server.position = PositionOf(entry.Mark());
  const std::string where = absl::StrCat("servers[", index, "]");
  const auto error_at = [&](const YAML::Mark& mark, const std::string& path,
                            absl::string_view what) {
    const FilePosition at = PositionOf(mark);
    return Invalid(absl::StrCat(file.path, ":", at.line, ":", at.column, ": ", where,
                                path.empty() ? "" : ".", path, ": ", what));
  };
  if (!entry.IsMap()) return error_at(entry.Mark(), "", "expected a mapping of field: value");
  for (const auto& field : entry) {
    std::string name;
    if (std::optional<FieldError> e =
            ReadSpecField(field.first, field.second, server.spec, &name)) {
      return error_at(e->mark, e->path, e->message);
    }
    if (!server.fields.emplace(name, PositionOf(field.first.Mark())).second) {
      return error_at(field.first.Mark(), name, "given twice");
    }
  }
  file.servers.push_back(std::move(server));
  ConfigServer& added = file.servers.back();
  absl::StatusOr<v1::ServerSpec> valid = ValidateSpec(added.spec);
  if (!valid.ok()) {
    return Invalid(file.ErrorAt(index, FieldOfMessage(valid.status().message(), added),
                                valid.status().message()));
  }
  added.spec = *std::move(valid);
  return absl::OkStatus();
}

// Names unique; each depends_on names a server of the file or one the agent may have (checked
// against the agent when applying); no cycle.
absl::Status CheckServers(const ConfigFile& file) {
  absl::flat_hash_map<std::string, size_t> first;
  for (size_t i = 0; i < file.servers.size(); ++i) {
    auto [it, added] = first.emplace(file.servers[i].spec.name(), i);
    if (!added) {
      return Invalid(file.ErrorAt(
          i, "name", absl::StrCat("\"", it->first, "\" is also servers[", it->second, "]'s name")));
    }
  }
  std::vector<v1::ServerSpec> specs;
  for (const ConfigServer& server : file.servers) specs.push_back(server.spec);
  size_t member = 0;
  if (absl::StatusOr<std::vector<size_t>> order = DependencyOrder(specs, &member); !order.ok()) {
    return Invalid(file.ErrorAt(member, "depends_on", order.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ConfigFile::ErrorAt(size_t index, const std::string& field,
                                absl::string_view message) const {
  const ConfigServer& server = servers[index];
  FilePosition at = server.position;
  if (auto it = server.fields.find(field); it != server.fields.end()) at = it->second;
  return absl::StrCat(path, ":", at.line, ":", at.column, ": servers[", index, "]",
                      field.empty() ? "" : ".", field, ": ", message);
}

absl::StatusOr<ConfigFile> ParseConfigFile(std::string_view text, const std::string& path) {
  ConfigFile file;
  file.path = path;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const FilePosition at = PositionOf(e.mark);
    return Invalid(absl::StrCat(path, ":", at.line, ":", at.column, ": ", e.msg));
  }
  try {
    if (root.IsNull()) return file;  // an empty file: no servers
    if (!root.IsMap()) return Invalid(absl::StrCat(path, ":1:1: expected a mapping with servers:"));
    for (const auto& top : root) {
      if (top.first.Scalar() != "servers") {
        const FilePosition at = PositionOf(top.first.Mark());
        return Invalid(absl::StrCat(path, ":", at.line, ":", at.column, ": ", top.first.Scalar(),
                                    ": unknown key; a config file has only `servers:`"));
      }
    }
    const YAML::Node servers = root["servers"];
    if (!servers || servers.IsNull()) return file;
    if (!servers.IsSequence()) {
      const FilePosition at = PositionOf(servers.Mark());
      return Invalid(absl::StrCat(path, ":", at.line, ":", at.column,
                                  ": servers: expected a list of servers (- name: ...)"));
    }
    size_t index = 0;
    for (const YAML::Node& entry : servers) {
      if (absl::Status s = ReadServer(entry, index++, file); !s.ok()) return s;
    }
  } catch (const YAML::Exception& e) {  // a node of an unexpected kind
    const FilePosition at = PositionOf(e.mark);
    return Invalid(absl::StrCat(path, ":", at.line, ":", at.column, ": ", e.msg));
  }
  if (absl::Status s = CheckServers(file); !s.ok()) return s;
  return file;
}

absl::StatusOr<ConfigFile> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("read config file ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseConfigFile(text.str(), path);
}

}  // namespace corral::spec
