// ConfigFile: a declarative config file (docs/config.md), YAML whose schema is the proto:
//
//   servers:
//     - name: web
//       protocol: http
//       listen: 127.0.0.1:8080
//       root: /srv/www
//       depends_on: [api]
//
// Each entry of `servers` is a ServerSpec (spec/config_field.h reads its keys). The whole file
// is checked before anything is applied: every spec through ValidateSpec (so a file gets the
// same messages as `corralctl start`), names unique, depends_on naming servers of the file (or,
// once an agent is asked, servers it has) and free of cycles. Errors read
// `FILE:LINE:COLUMN: servers[2].listen: MESSAGE`, pointing at the node that gave the field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {

// A place in the file, 1-based.
struct FilePosition {
  int line = 0;
  int column = 0;
};

struct ConfigServer {
  // Validated: every default filled in, as the agent would store it.
  v1::ServerSpec spec;
  // Where the entry starts, and where each key given was (by proto field name).
  FilePosition position;
  absl::flat_hash_map<std::string, FilePosition> fields;
};

struct ConfigFile {
  std::string path;
  // In file order.
  std::vector<ConfigServer> servers;

  // `FILE:LINE:COLUMN: servers[I].FIELD: message` for server `index`'s `field` (its entry's
  // position when the file did not give the field).
  std::string ErrorAt(size_t index, const std::string& field, absl::string_view message) const;
};

// Reads and checks the file at `path`. INVALID_ARGUMENT with the message above; NOT_FOUND (or
// another code) when it cannot be read.
absl::StatusOr<ConfigFile> LoadConfigFile(const std::string& path);

// The same for `text`, named `path` in messages.
absl::StatusOr<ConfigFile> ParseConfigFile(std::string_view text, const std::string& path);

}  // namespace corral::spec
