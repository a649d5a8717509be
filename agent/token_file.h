// TokenTable: the bearer tokens that admit callers on the agent's TCP listener (--token-file),
// each with the role its holder gets (design decision 6; docs/remote.md).
//
// The file holds secrets, so it is refused when anyone but its owner may read it, as ssh refuses
// a private key: a token that other local users could read admits them from anywhere.
//
// Thread-safety: immutable once loaded; Find from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/caller_access.h"

namespace corral::agent {

// Who holds a token: the name the audit log and refusals use, and the role it grants.
struct TokenHolder {
  std::string name;
  Role role;
};

class TokenTable {
 public:
  // Secrets shorter than this are refused: a token is a password sent over the network.
  static constexpr size_t kMinSecretLength = 16;

  // File format: one token per line, "NAME ROLE SECRET" (ROLE monitor|operator), '#' comments,
  // blank lines ignored. Refused (InvalidArgument/PermissionDenied with FILE:LINE) when the
  // file is readable by group or others, a line is malformed, a name repeats, or a secret is
  // shorter than 16 characters.
  static absl::StatusOr<TokenTable> Load(const std::string& path);
  // The same from text already read (`path` only names it in errors; no mode check).
  static absl::StatusOr<TokenTable> Parse(absl::string_view text, const std::string& path);

  // The holder of `secret` (constant-time comparison), or nullopt.
  std::optional<TokenHolder> Find(absl::string_view secret) const;

  size_t size() const { return tokens_.size(); }

 private:
  struct Token {
    TokenHolder holder;
    std::string secret;
  };
  std::vector<Token> tokens_;
};

}  // namespace corral::agent
