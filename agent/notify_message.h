// NotifyMessage: one sd_notify(3) datagram, parsed. Pure (no I/O), so it is unit-tested with
// the bytes programs send. Unknown keys are ignored, as systemd does; a malformed known one is
// ignored too, never an error, since the sender may be any program.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::agent {

struct NotifyMessage {
  bool ready = false;                           // READY=1
  bool stopping = false;                        // STOPPING=1
  bool watchdog = false;                        // WATCHDOG=1
  std::optional<std::string> status;            // STATUS=
  std::optional<pid_t> main_pid;                // MAINPID=
  std::optional<uint64_t> extend_timeout_usec;  // EXTEND_TIMEOUT_USEC=
  std::optional<std::string> failed;            // CORRAL_FAILED= (corral-server's reason)
};

// Datagrams longer than this are refused before parsing (systemd's bound is 4 KiB too).
inline constexpr size_t kMaxNotifyBytes = 4096;
// STATUS= and CORRAL_FAILED= keep at most this many bytes, so `get` stays one screen.
inline constexpr size_t kMaxNotifyTextBytes = 512;

NotifyMessage ParseNotifyMessage(std::string_view datagram);

}  // namespace corral::agent
