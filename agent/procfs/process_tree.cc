#include "agent/procfs/process_tree.h"

#include <unistd.h>

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"

namespace corral::procfs {
namespace {

// Children of every process, from one pass over all of them (fallback for ChildrenOf).
absl::StatusOr<std::multimap<pid_t, pid_t>> ChildrenByParent(const ProcFs& fs) {
  absl::StatusOr<std::vector<pid_t>> pids = fs.ListPids();
  if (!pids.ok()) return pids.status();
  std::multimap<pid_t, pid_t> children;
  for (pid_t pid : *pids) {
    absl::StatusOr<ProcStat> st = fs.ReadStat(pid);
    if (st.ok()) children.emplace(st->ppid, pid);  // exited meanwhile: skip
  }
  return children;
}

}  // namespace

absl::StatusOr<std::vector<pid_t>> FindProcessTree(const ProcFs& fs, pid_t root) {
  if (absl::StatusOr<ProcStat> st = fs.ReadStat(root); !st.ok()) return st.status();
  std::optional<std::multimap<pid_t, pid_t>> scanned;  // set once ChildrenOf is unsupported
  std::vector<pid_t> tree;
  std::set<pid_t> seen = {root};
  std::deque<pid_t> queue = {root};
  while (!queue.empty()) {
    const pid_t pid = queue.front();
    queue.pop_front();
    std::vector<pid_t> children;
    if (!scanned.has_value()) {
      absl::StatusOr<std::vector<pid_t>> direct = fs.ChildrenOf(pid);
      if (direct.ok()) {
        children = *std::move(direct);
      } else if (absl::IsUnimplemented(direct.status())) {
        absl::StatusOr<std::multimap<pid_t, pid_t>> all = ChildrenByParent(fs);
        if (!all.ok()) return all.status();
        scanned = *std::move(all);
      } else if (absl::IsNotFound(direct.status())) {
        continue;  // exited since its parent listed it
      } else {
        return direct.status();
      }
    }
    tree.push_back(pid);
    if (scanned.has_value()) {
      auto [begin, end] = scanned->equal_range(pid);
      for (auto it = begin; it != end; ++it) children.push_back(it->second);
    }
    for (pid_t child : children) {
      if (seen.insert(child).second) queue.push_back(child);
    }
  }
  if (tree.empty()) {
    return absl::NotFoundError(absl::StrCat("find process tree of ", root, ": process exited"));
  }
  return tree;
}

absl::StatusOr<TreeUsage> MeasureProcessTree(const ProcFs& fs, pid_t root, long ticks_per_second) {
  if (ticks_per_second <= 0) ticks_per_second = sysconf(_SC_CLK_TCK);
  absl::StatusOr<std::vector<pid_t>> tree = FindProcessTree(fs, root);
  if (!tree.ok()) return tree.status();
  TreeUsage usage;
  uint64_t cpu_ticks = 0;
  uint64_t reaped_ticks = 0;
  for (pid_t pid : *tree) {
    absl::StatusOr<ProcStat> st = fs.ReadStat(pid);
    absl::StatusOr<ProcStatus> status = fs.ReadStatus(pid);
    if (!st.ok() || !status.ok()) {
      const absl::Status& err = !st.ok() ? st.status() : status.status();
      if (absl::IsNotFound(err)) continue;  // exited since the walk
      return err;
    }
    usage.pids.push_back(pid);
    cpu_ticks += st->utime_ticks + st->stime_ticks;
    reaped_ticks += st->cutime_ticks + st->cstime_ticks;
    usage.rss_bytes += status->vm_rss_bytes.value_or(0);
    usage.threads += status->threads;
    absl::StatusOr<uint32_t> fds = fs.CountOpenFds(pid);
    if (fds.ok()) {
      usage.open_fds += *fds;
    } else if (!absl::IsNotFound(fds.status())) {
      ++usage.fd_dirs_unreadable;
    }
  }
  usage.cpu_seconds = static_cast<double>(cpu_ticks) / static_cast<double>(ticks_per_second);
  usage.reaped_cpu_seconds =
      static_cast<double>(reaped_ticks) / static_cast<double>(ticks_per_second);
  return usage;
}

}  // namespace corral::procfs
