// ExportConfig: servers' specs as a config file (spec/config_file.h) that applies back to no
// changes: each spec in the proto's JSON mapping (proto field names), as YAML.
#pragma once

#include <string>
#include <vector>

#include "corral/v1/server.pb.h"

namespace corral::spec {

// `specs` are the agent's (effective) specs, in the order given; the file names every field
// they hold, so it records the defaults of the agent that wrote it.
std::string ExportConfig(const std::vector<v1::ServerSpec>& specs);

}  // namespace corral::spec
