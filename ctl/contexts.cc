#include "ctl/contexts.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace corral::ctl {
namespace {

absl::Status Malformed(const std::string& path, const YAML::Node& node, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", node.Mark().line + 1, ": ", why));
}

}  // namespace

std::string DefaultContextsPath() {
  if (const char* explicit_path = std::getenv("CORRAL_CONFIG"); explicit_path && *explicit_path) {
    return explicit_path;
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return absl::StrCat(xdg, "/corral/config.yaml");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home ? home : "", "/.config/corral/config.yaml");
}

absl::StatusOr<AgentContext> Contexts::Find(absl::string_view name) const {
  std::vector<std::string> names;
  for (const AgentContext& agent : agents) {
    if (agent.name == name) return agent;
    names.push_back(agent.name);
  }
  return absl::NotFoundError(
      absl::StrCat("no context \"", name, "\" in ", path,
                   names.empty() ? " (it has none)"
                                 : absl::StrCat(" (it has ", absl::StrJoin(names, ", "), ")")));
}

absl::StatusOr<Contexts> LoadContexts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Contexts{.path = path};
  std::stringstream text;
  text << in.rdbuf();
  return ParseContexts(text.str(), path);
}

absl::StatusOr<Contexts> ParseContexts(const std::string& text, const std::string& path) {
  Contexts contexts{.path = path};
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  auto resolve = [&](const std::string& file) {
    if (file.empty() || std::filesystem::path(file).is_absolute()) return file;
    return (base / file).lexically_normal().string();
  };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (root.IsNull()) return contexts;
  if (!root.IsMap()) return Malformed(path, root, "expected a map with `current` and `agents`");
  try {
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key == "current") {
        contexts.current = entry.second.as<std::string>();
      } else if (key != "agents") {
        return Malformed(path, entry.first,
                         absl::StrCat("unknown key \"", key, "\" (expected current, agents)"));
      }
    }
    const YAML::Node agents = root["agents"];
    if (agents && !agents.IsMap()) {
      return Malformed(path, agents, "`agents` is a map of context names to agents");
    }
    for (const auto& entry : agents) {
      AgentContext agent;
      agent.name = entry.first.as<std::string>();
      if (!entry.second.IsMap()) {
        return Malformed(path, entry.second,
                         absl::StrCat("agent \"", agent.name, "\": expected a map"));
      }
      for (const auto& field : entry.second) {
        const std::string key = field.first.as<std::string>();
        const std::string value = field.second.as<std::string>();
        if (key == "address") {
          // As --agent takes it: a path is a unix socket.
          agent.address =
              value.empty() || (value[0] != '/' && value[0] != '.') ? value : "unix:" + value;
        } else if (key == "ca") {
          agent.credentials.tls_ca = resolve(value);
        } else if (key == "token_file") {
          agent.credentials.token_file = resolve(value);
        } else if (key == "cert") {
          agent.credentials.tls_cert = resolve(value);
        } else if (key == "key") {
          agent.credentials.tls_key = resolve(value);
        } else {
          return Malformed(path, field.first,
                           absl::StrCat("agent \"", agent.name, "\": unknown key \"", key,
                                        "\" (expected address, ca, token_file, cert, key)"));
        }
      }
      if (agent.address.empty()) {
        return Malformed(path, entry.first,
                         absl::StrCat("agent \"", agent.name, "\" has no address"));
      }
      contexts.agents.push_back(std::move(agent));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (!contexts.current.empty()) {
    if (absl::StatusOr<AgentContext> found = contexts.Find(contexts.current); !found.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": current: ", found.status().message()));
    }
  }
  return contexts;
}

}  // namespace corral::ctl
