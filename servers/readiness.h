// The readiness message corral-server sends its supervisor through an inherited descriptor
// (`--notify-fd`): one line, then the descriptor is closed.
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

// Writes the message to `fd` and closes it. A no-op when fd < 0 (standalone run).
void SendReadiness(int fd, const Readiness& readiness);

}  // namespace corral
