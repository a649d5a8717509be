// TokenTable: the bearer tokens of --token-file, each with a name and a role (issue 23).
// File format: one token per line, "NAME ROLE SECRET" (ROLE monitor|operator), '#' comments,
// blank lines ignored. Load refuses a file readable by group or others, a malformed line, a
// repeated name, or a secret shorter than 16 characters.
// Immutable once loaded: Find may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/caller_access.h"

namespace corral::agent {

struct TokenHolder {
  std::string name;
  Role role;
};

class TokenTable {
 public:
  static absl::StatusOr<TokenTable> Load(const std::string& path);
  // The holder of `secret`; compares against every secret in constant time per byte, so the
  // time taken says nothing about how much of a secret matched.
  std::optional<TokenHolder> Find(absl::string_view secret) const;

 private:
  struct Entry {
    TokenHolder holder;
    std::string secret;
  };
  std::vector<Entry> entries_;
};

}  // namespace corral::agent
