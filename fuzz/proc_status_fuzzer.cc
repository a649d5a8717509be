// Fuzzes the /proc/PID/status parser (agent/procfs/proc_status.h). The Name line is the
// process's own choice (the kernel escapes newlines, but not ':' or spaces). Checks that a
// parse succeeds only when Name, PPid and Threads were all present, and that the name never
// spans a line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/procfs/proc_status.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<corral::procfs::ProcStatus> st =
      corral::procfs::ParseProcStatus(absl::string_view(text.data(), text.size()));
  if (!st.ok()) {
    FUZZ_CHECK(st.status().code() == absl::StatusCode::kInvalidArgument, st.status().ToString());
    return 0;
  }
  const std::string what(text);
  FUZZ_CHECK(text.find("Name:") != std::string_view::npos, what);
  FUZZ_CHECK(text.find("PPid:") != std::string_view::npos, what);
  FUZZ_CHECK(text.find("Threads:") != std::string_view::npos, what);
  FUZZ_CHECK(st->name.find('\n') == std::string::npos, what);
  if (st->vm_rss_bytes) FUZZ_CHECK(text.find("VmRSS:") != std::string_view::npos, what);
  return 0;
}
