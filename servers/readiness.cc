#include "servers/readiness.h"

#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace corral {

std::string FormatReadiness(const Readiness& readiness) {
  // A reason spanning lines would split the message; keep it on one.
  std::string detail = readiness.detail;
  for (char& c : detail) {
    if (c == '\n') c = ' ';
  }
  return absl::StrCat(readiness.ready ? "READY " : "FAILED ", detail, "\n");
}

std::optional<Readiness> ParseReadiness(std::string_view text) {
  absl::string_view message(text.data(), text.size());
  absl::ConsumeSuffix(&message, "\n");
  if (absl::ConsumePrefix(&message, "READY ")) return Readiness{true, std::string(message)};
  if (absl::ConsumePrefix(&message, "FAILED ")) return Readiness{false, std::string(message)};
  return std::nullopt;
}

void SendReadiness(int fd, const Readiness& readiness) {
  if (fd < 0) return;
  std::string line = FormatReadiness(readiness);
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the supervisor went away; it will learn from our exit instead
    rest.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
}

}  // namespace corral
