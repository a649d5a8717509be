// FromCtl: the spec `corralctl start` would send for the given flags, validated as the agent
// validates it, for tests of spec fields that are reached through their flags.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"
#include "spec/spec_flags.h"
#include "spec/spec_validation.h"

namespace corral::spec {

// `args` as typed after `corralctl start NAME`; the server is named "app".
inline absl::StatusOr<v1::ServerSpec> FromCtl(std::vector<std::string> args) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServerAndSupervision);
  std::reverse(args.begin(), args.end());  // CLI::App::parse takes a vector in reverse
  app.parse(args);
  absl::StatusOr<v1::ServerSpec> spec = flags.Build("app");
  if (!spec.ok()) return spec.status();
  return ValidateSpec(*spec);
}

}  // namespace corral::spec
