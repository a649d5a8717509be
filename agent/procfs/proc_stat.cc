#include "agent/procfs/proc_stat.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral::procfs {
namespace {

// Fields after the comm, counted from 3 (state).
constexpr size_t kFirstField = 3;
constexpr size_t kLastNeededField = 24;

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("parse /proc/PID/stat: ", why));
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return Malformed("no parenthesised command name");
  }
  ProcStat st;
  int pid = 0;
  if (!absl::SimpleAtoi(text.substr(0, open), &pid) || pid <= 0) {
    return Malformed(absl::StrCat("bad pid '", text.substr(0, open), "'"));
  }
  st.pid = pid;
  st.comm = std::string(text.substr(open + 1, close - open - 1));

  const std::vector<absl::string_view> f =
      absl::StrSplit(text.substr(close + 1), ' ', absl::SkipWhitespace());
  if (f.size() < kLastNeededField - kFirstField + 1) {
    return Malformed(absl::StrCat("only ", f.size() + 2, " fields, need ", kLastNeededField));
  }
  auto field = [&f](size_t n) { return f[n - kFirstField]; };
  bool ok = field(3).size() == 1;
  if (ok) st.state = field(3)[0];
  int ppid = 0;
  ok = ok && absl::SimpleAtoi(field(4), &ppid);
  st.ppid = ppid;
  int64_t cutime = 0;
  int64_t cstime = 0;
  ok = ok && absl::SimpleAtoi(field(9), &st.flags) &&
       absl::SimpleAtoi(field(14), &st.utime_ticks) &&
       absl::SimpleAtoi(field(15), &st.stime_ticks) && absl::SimpleAtoi(field(16), &cutime) &&
       absl::SimpleAtoi(field(17), &cstime) && absl::SimpleAtoi(field(20), &st.num_threads) &&
       absl::SimpleAtoi(field(22), &st.start_time_ticks) &&
       absl::SimpleAtoi(field(23), &st.vsize_bytes) && absl::SimpleAtoi(field(24), &st.rss_pages);
  if (!ok) return Malformed(absl::StrCat("bad numeric field for pid ", pid));
  st.cutime_ticks = cutime > 0 ? static_cast<uint64_t>(cutime) : 0;
  st.cstime_ticks = cstime > 0 ? static_cast<uint64_t>(cstime) : 0;
  return st;
}

}  // namespace corral::procfs
