#include "agent/procfs/proc_status.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corral::procfs {
namespace {

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("parse /proc/PID/status: ", why));
}

}  // namespace

absl::StatusOr<ProcStatus> ParseProcStatus(absl::string_view text) {
  ProcStatus st;
  bool have_name = false, have_ppid = false, have_threads = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view value = line.substr(colon + 1);
    if (key == "Name") {
      // The name may start or end with spaces of its own; only the tab after the colon is syntax.
      st.name = std::string(absl::StripPrefix(value, "\t"));
      have_name = true;
    } else if (key == "PPid") {
      int ppid = 0;
      if (!absl::SimpleAtoi(value, &ppid)) return Malformed(absl::StrCat("bad PPid '", value, "'"));
      st.ppid = ppid;
      have_ppid = true;
    } else if (key == "Threads") {
      if (!absl::SimpleAtoi(value, &st.threads)) {
        return Malformed(absl::StrCat("bad Threads '", value, "'"));
      }
      have_threads = true;
    } else if (key == "VmRSS") {
      absl::string_view kb = absl::StripAsciiWhitespace(value);
      uint64_t n = 0;
      // A count of kB that overflows once in bytes is no real process's; refuse it rather than
      // wrap to a small figure.
      if (!absl::ConsumeSuffix(&kb, "kB") || !absl::SimpleAtoi(kb, &n) ||
          n > std::numeric_limits<uint64_t>::max() / 1024) {
        return Malformed(absl::StrCat("bad VmRSS '", value, "'"));
      }
      st.vm_rss_bytes = n * 1024;
    }
  }
  if (!have_name || !have_ppid || !have_threads) {
    return Malformed("missing Name, PPid or Threads");
  }
  return st;
}

}  // namespace corral::procfs
