#include "agent/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/syscall_error.h"
#include "base/unique_fd.h"

namespace corral::agent {
namespace {

// Compares every byte of the longer of the two, whatever differs first, so that the time taken
// says nothing about how much of a guess was right.
bool SameSecret(absl::string_view a, absl::string_view b) {
  const size_t length = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < length; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

}  // namespace

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return base::SyscallError("open the token file " + path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return base::SyscallError("stat " + path, errno);
  if ((info.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s:1: refusing a token file that group or others may access (mode %04o): it holds "
        "secrets; run chmod 600 %s",
        path, info.st_mode & 07777, path));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::SyscallError("read the token file " + path, errno);
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return Parse(text, path);
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text, const std::string& path) {
  TokenTable table;
  absl::flat_hash_set<std::string> names;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto refuse = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", why));
    };
    if (words.size() != 3) {
      return refuse(absl::StrCat("expected \"NAME ROLE SECRET\", found ", words.size(),
                                 words.size() == 1 ? " word" : " words"));
    }
    Token token;
    token.holder.name = std::string(words[0]);
    if (words[1] == "operator") {
      token.holder.role = Role::kOperator;
    } else if (words[1] == "monitor") {
      token.holder.role = Role::kMonitor;
    } else {
      return refuse(absl::StrCat("the role is monitor or operator, not \"", words[1], "\""));
    }
    if (words[2].size() < kMinSecretLength) {
      return refuse(absl::StrCat("the secret of \"", words[0], "\" has ", words[2].size(),
                                 " characters; at least ", kMinSecretLength,
                                 " are needed (openssl rand -hex 32 makes a good one)"));
    }
    if (!names.insert(token.holder.name).second) {
      return refuse(absl::StrCat("the name \"", words[0], "\" is given twice"));
    }
    token.secret = std::string(words[2]);
    table.tokens_.push_back(std::move(token));
  }
  return table;
}

std::optional<TokenHolder> TokenTable::Find(absl::string_view secret) const {
  std::optional<TokenHolder> found;
  for (const Token& token : tokens_) {  // every one compared: no early exit to time
    if (SameSecret(secret, token.secret) && !found) found = token.holder;
  }
  return found;
}

}  // namespace corral::agent
