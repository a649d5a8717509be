// One key of a config file's server entry, read onto a ServerSpec through the proto itself: the
// YAML value is turned into the proto's JSON mapping (guided by the field's descriptor, so a
// quoted or plain scalar both work) and parsed with protobuf's JsonStringToMessage, so every
// field, its type and its range come from proto/corral/v1/server.proto with no list kept here.
// Keys are the proto's field names (`max_workers`) or their JSON names (`maxWorkers`). An enum
// takes its proto name (PROTOCOL_HTTP) or the short form its name ends with (http, tcp-echo,
// on-failure), when exactly one value ends so.
#pragma once

#include <optional>
#include <string>

#include "corral/v1/server.pb.h"
#include "yaml-cpp/yaml.h"

namespace corral::spec {

// Where in the file a problem is, and what: `path` continues the entry's path
// ("listen", "sockets[1].address"), `mark` is yaml-cpp's (0-based line and column).
struct FieldError {
  YAML::Mark mark;
  std::string path;
  std::string message;
};

// Reads `value` (the YAML under `key`) into `spec`'s field named by `key`, after what is there
// (a repeated field is appended to). The field's proto name is stored in *field_name.
std::optional<FieldError> ReadSpecField(const YAML::Node& key, const YAML::Node& value,
                                        v1::ServerSpec& spec, std::string* field_name);

}  // namespace corral::spec
