// Contexts: the agents corralctl knows by name, from ~/.config/corral/config.yaml (or
// $CORRAL_CONFIG), so that `--context prod` stands for an address, a CA and a token file, and
// `--agents a,b` / `--all` for several agents at once. The file:
//
//   current: local            # the context used when neither --agent nor --context is given
//   agents:
//     local:
//       address: unix:/run/user/1000/corral-1000/agent.sock
//     prod:
//       address: prod.example.net:7443
//       ca: ca.pem            # relative paths are relative to this file's directory
//       token_file: prod.token
//       cert: client.pem      # optional, for an agent with --tls-client-ca
//       key: client.key
//
// Pure data and parsing; no connection is made here.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ctl/agent_client.h"

namespace corral::ctl {

struct AgentContext {
  std::string name;
  std::string address;  // as --agent takes it
  AgentCredentials credentials;
};

struct Contexts {
  std::string path;                  // where they were read from
  std::string current;               // empty: none chosen
  std::vector<AgentContext> agents;  // in the file's order

  // The context named `name`; NotFound listing the names there are.
  absl::StatusOr<AgentContext> Find(absl::string_view name) const;
};

// $CORRAL_CONFIG, else $XDG_CONFIG_HOME/corral/config.yaml, else ~/.config/corral/config.yaml.
std::string DefaultContextsPath();

// Reads `path`; a file that does not exist is no contexts (OK). InvalidArgument with
// FILE:LINE for a malformed one.
absl::StatusOr<Contexts> LoadContexts(const std::string& path);
// The same from text (`path` names it in errors and anchors relative paths).
absl::StatusOr<Contexts> ParseContexts(const std::string& text, const std::string& path);

}  // namespace corral::ctl
