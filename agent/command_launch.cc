#include "agent/command_launch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/syscall_error.h"

extern char** environ;

namespace corral::agent {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

std::string_view KeyOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Appends `entry`, replacing an earlier entry of the same key.
void Set(std::vector<std::string>& env, std::string entry) {
  const std::string_view key = KeyOf(entry);
  for (std::string& existing : env) {
    if (KeyOf(existing) == key) {
      existing = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

bool IsHandOver(std::string_view entry) {
  const std::string_view key = KeyOf(entry);
  return key == "LISTEN_FDS" || key == "LISTEN_PID" || key == "LISTEN_FDNAMES" ||
         key == "NOTIFY_SOCKET" || key == "WATCHDOG_USEC" || key == "WATCHDOG_PID";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::SyscallError(absl::StrCat("read env file ", path), errno);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseEnvFile(std::string_view text) {
  std::vector<std::string> entries;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::ConsumePrefix(&line, "export ");
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", number, " is not KEY=VALUE: \"", std::string(line), "\""));
    }
    absl::string_view value = line.substr(equals + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    entries.push_back(absl::StrCat(line.substr(0, equals), "=", value));
  }
  return entries;
}

absl::StatusOr<std::vector<std::string>> ServerEnvironment(const v1::ServerSpec& spec,
                                                           const std::string& notify_socket,
                                                           const std::vector<HeldSocket>& sockets) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!IsHandOver(*e)) env.emplace_back(*e);
  }
  if (!spec.env_file().empty()) {
    absl::StatusOr<std::string> text = ReadFile(spec.env_file());
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<std::string>> entries = ParseEnvFile(*text);
    if (!entries.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("read env file ", spec.env_file(), ": ", entries.status().message()));
    }
    for (std::string& entry : *entries) Set(env, std::move(entry));
  }
  for (const std::string& entry : spec.env()) Set(env, entry);
  Set(env, absl::StrCat("NOTIFY_SOCKET=", notify_socket));
  if (spec.watchdog_ms() != 0) {
    Set(env, absl::StrCat("WATCHDOG_USEC=", uint64_t{spec.watchdog_ms()} * 1000));
  }
  if (!sockets.empty()) {
    Set(env, absl::StrCat("LISTEN_FDS=", sockets.size()));
    Set(env, absl::StrCat("LISTEN_FDNAMES=", ListenFdNames(sockets)));
  }
  return env;
}

absl::StatusOr<std::vector<std::string>> ResolveCommand(const v1::ServerSpec& spec,
                                                        const std::vector<std::string>& env) {
  std::vector<std::string> argv(spec.command().begin(), spec.command().end());
  if (argv.empty()) return absl::InvalidArgumentError("command is empty");
  const std::string& program = argv[0];
  if (absl::StrContains(program, '/')) return argv;
  std::string path = kDefaultPath;
  for (const std::string& entry : env) {
    if (absl::StartsWith(entry, "PATH=")) path = entry.substr(5);
  }
  bool denied = false;
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    struct stat st;
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(candidate.c_str(), X_OK) != 0) {
      denied = true;
      continue;
    }
    argv[0] = std::move(candidate);
    return argv;
  }
  return base::SyscallError(absl::StrCat("exec ", program), denied ? EACCES : ENOENT);
}

}  // namespace corral::agent
