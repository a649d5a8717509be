#include "agent/notify_message.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace corral::agent {
namespace {

// Control characters would garble `get` and the logs.
std::string Printable(absl::string_view text) {
  std::string out(text.substr(0, kMaxNotifyTextBytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

}  // namespace

NotifyMessage ParseNotifyMessage(std::string_view datagram) {
  NotifyMessage message;
  for (absl::string_view line : absl::StrSplit(absl::string_view(datagram.data(), datagram.size()),
                                               '\n', absl::SkipEmpty())) {
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, equals);
    const absl::string_view value = line.substr(equals + 1);
    if (key == "READY") {
      message.ready = value == "1";
    } else if (key == "STOPPING") {
      message.stopping = value == "1";
    } else if (key == "WATCHDOG") {
      message.watchdog = value == "1";
    } else if (key == "STATUS") {
      message.status = Printable(value);
    } else if (key == "CORRAL_FAILED") {
      message.failed = Printable(value);
    } else if (key == "MAINPID") {
      if (int pid = 0; absl::SimpleAtoi(value, &pid) && pid > 0) message.main_pid = pid;
    } else if (key == "EXTEND_TIMEOUT_USEC") {
      if (uint64_t usec = 0; absl::SimpleAtoi(value, &usec)) message.extend_timeout_usec = usec;
    }
  }
  return message;
}

}  // namespace corral::agent
