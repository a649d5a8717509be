#include "agent/memory_guard.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/procfs/process_tree.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

std::string Size(uint64_t bytes, uint64_t unit) {
  return absl::StrCat(bytes / unit, unit == kMiB ? " MiB" : " KiB");
}

}  // namespace

MemoryGuard::MemoryGuard(EventLoop& loop, const procfs::ProcFs& fs, Options options,
                         OverCallback on_over)
    : loop_(loop), fs_(fs), options_(std::move(options)), on_over_(std::move(on_over)) {
  Schedule();
}

MemoryGuard::~MemoryGuard() { loop_.Cancel(timer_); }

std::string MemoryGuard::Reason(uint64_t rss_bytes, uint64_t max_bytes,
                                std::chrono::milliseconds over_for) {
  // KiB when MiB would round both figures to the same number ("2 MiB > max 2 MiB").
  const uint64_t unit = max_bytes >= kMiB && rss_bytes / kMiB > max_bytes / kMiB ? kMiB : 1024;
  const int64_t ms = over_for.count();
  return absl::StrCat("memory ", Size(rss_bytes, unit), " > max ", Size(max_bytes, unit), " for ",
                      ms % 1000 == 0 ? absl::StrCat(ms / 1000, " s") : absl::StrCat(ms, " ms"));
}

void MemoryGuard::Schedule() {
  timer_ = loop_.RunAfter(options_.interval, [this] {
    timer_ = 0;
    Sample();
  });
}

void MemoryGuard::Sample() {
  absl::StatusOr<procfs::TreeUsage> usage = procfs::MeasureProcessTree(fs_, options_.pid);
  // Gone: its exit is on its way to the supervisor, which ends this guard.
  if (!usage.ok()) return;
  if (usage->rss_bytes <= options_.max_bytes) {
    over_in_a_row_ = 0;
    return Schedule();
  }
  ++over_in_a_row_;
  spdlog::debug("memory guard of pid {}: {} bytes > {} ({} in a row)", options_.pid,
                usage->rss_bytes, options_.max_bytes, over_in_a_row_);
  if (over_in_a_row_ < options_.samples) return Schedule();
  std::string reason =
      Reason(usage->rss_bytes, options_.max_bytes, options_.interval * options_.samples);
  // From a task, not from inside this guard's own timer: the callee may destroy the guard.
  loop_.RunInLoop([on_over = on_over_, reason = std::move(reason)] { on_over(reason); });
}

}  // namespace corral::agent
