// The readiness message corral-server sends its supervisor. Under corral-agent it goes the
// systemd way (sd_notify), one datagram to the unix socket named by $NOTIFY_SOCKET:
//   "READY=1\nSTATUS=serving on <address>\n"     listening
//   "CORRAL_FAILED=<reason>\nSTATUS=<reason>\n"   could not start; the reason is for a person
// A supervisor of its own (tests, scripts) may instead pass a pipe (`--notify-fd`), which gets
// one line, then the descriptor is closed:
//   "READY <bound address>\n"   listening; the address has the real port (port 0 resolved)
//   "FAILED <reason>\n"         could not start; the reason is a sentence for a person
// Both sides use these functions, so the format lives in one place.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace corral {

struct Readiness {
  bool ready = false;
  // The bound address when ready, the reason otherwise.
  std::string detail;
};

std::string FormatReadiness(const Readiness& readiness);

// Parses one message (with or without its trailing newline); nullopt if it is not one.
std::optional<Readiness> ParseReadiness(std::string_view message);

// The sd_notify datagram for `readiness`.
std::string FormatNotify(const Readiness& readiness);

// Writes the message to `fd` (if >= 0) and closes it, and sends it to $NOTIFY_SOCKET (if set).
// Failures are ignored: the supervisor learns from the exit instead.
void SendReadiness(int fd, const Readiness& readiness);

}  // namespace corral
