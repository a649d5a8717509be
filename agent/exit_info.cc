#include "agent/exit_info.h"

#include <string.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace corral::agent {

ExitInfo ExitInfo::FromSiginfo(const siginfo_t& info, absl::Time when) {
  ExitInfo exit;
  exit.time = when;
  switch (info.si_code) {
    case CLD_EXITED:
      exit.code = info.si_status;
      break;
    case CLD_DUMPED:
      exit.core_dumped = true;
      [[fallthrough]];
    default:  // CLD_KILLED
      exit.signaled = true;
      exit.signal = info.si_status;
      break;
  }
  return exit;
}

ExitInfo ExitInfo::Unknown(absl::Time when) {
  ExitInfo exit;
  exit.unknown = true;
  exit.time = when;
  return exit;
}

std::string ExitInfo::ToString() const {
  if (unknown) return "exited (status unknown: adopted)";
  if (!signaled) return absl::StrCat("exited with code ", code);
  const char* abbrev = sigabbrev_np(signal);
  std::string name = abbrev != nullptr ? absl::StrCat(" (SIG", abbrev, ")") : "";
  return absl::StrCat("killed by signal ", signal, name, core_dumped ? ", core dumped" : "");
}

}  // namespace corral::agent
