#include "servers/readiness.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

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

std::string FormatNotify(const Readiness& readiness) {
  std::string detail = readiness.detail;
  for (char& c : detail) {
    if (c == '\n') c = ' ';
  }
  if (readiness.ready) return absl::StrCat("READY=1\nSTATUS=serving on ", detail, "\n");
  return absl::StrCat("CORRAL_FAILED=", detail, "\nSTATUS=", detail, "\n");
}

namespace {

// sd_notify(3) without libsystemd: one datagram to the path or abstract name ('@' first) in
// $NOTIFY_SOCKET.
void SendNotify(const std::string& message) {
  const char* target = std::getenv("NOTIFY_SOCKET");
  if (target == nullptr || target[0] == '\0') return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t length = std::strlen(target);
  if (length >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, target, length);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
  ::close(fd);
}

}  // namespace

void SendReadiness(int fd, const Readiness& readiness) {
  SendNotify(FormatNotify(readiness));
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
