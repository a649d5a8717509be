// Fuzzes the /proc/PID/stat parser (agent/procfs/proc_stat.h). A process chooses its own
// command name (prctl, or the name of the file it runs), spaces and parentheses included, so
// this text is partly written by whoever the agent supervises. Checks that a parse succeeds
// only with a positive pid and a one-character, non-blank state, and that the command name is
// exactly the text between the first '(' and the last ')'.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/procfs/proc_stat.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<corral::procfs::ProcStat> st =
      corral::procfs::ParseProcStat(absl::string_view(text.data(), text.size()));
  if (!st.ok()) {
    FUZZ_CHECK(st.status().code() == absl::StatusCode::kInvalidArgument, st.status().ToString());
    return 0;
  }
  const std::string what(text);
  FUZZ_CHECK(st->pid > 0, what);
  FUZZ_CHECK(std::string_view(" \t\n\v\f\r").find(st->state) == std::string_view::npos, what);
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  FUZZ_CHECK(st->comm == text.substr(open + 1, close - open - 1), what);
  return 0;
}
