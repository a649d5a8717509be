#include "agent/token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/syscall_error.h"

namespace corral::agent {
namespace {

constexpr size_t kMinSecretLength = 16;

}  // namespace

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return base::SyscallError("read token file " + path, errno);
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "read token file ", path, ": readable by group or others (run chmod 600 ", path, ")"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("read token file ", path, ": cannot open"));
  TokenTable table;
  std::set<std::string> names;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(text, ' ', absl::SkipWhitespace());
    const std::string where = absl::StrCat("read token file ", path, ":", number, ": ");
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(where, "want NAME ROLE SECRET"));
    }
    Role role;
    if (fields[1] == "monitor") {
      role = Role::kMonitor;
    } else if (fields[1] == "operator") {
      role = Role::kOperator;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "role \"", fields[1], "\" is not monitor or operator"));
    }
    if (!names.insert(fields[0]).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "name ", fields[0], " repeats"));
    }
    if (fields[2].size() < kMinSecretLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "the secret of ", fields[0], " is shorter than 16 characters"));
    }
    table.entries_.push_back({{fields[0], role}, fields[2]});
  }
  return table;
}

std::optional<TokenHolder> TokenTable::Find(absl::string_view secret) const {
  std::optional<TokenHolder> found;
  for (const Entry& e : entries_) {
    // Every byte of every secret is looked at, whatever matches, and the lengths are folded in
    // the same way, so timing reveals neither a prefix nor which entry matched.
    unsigned diff = e.secret.size() == secret.size() ? 0 : 1;
    for (size_t i = 0; i < e.secret.size(); ++i) {
      diff |= static_cast<unsigned char>(e.secret[i]) ^
              static_cast<unsigned char>(i < secret.size() ? secret[i] : 0);
    }
    if (diff == 0 && !found) found = e.holder;
  }
  return found;
}

}  // namespace corral::agent
