#include "agent/procfs/proc_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corral::procfs {
namespace {

// ESRCH comes from files of a process that is exiting; to callers that is "gone" like ENOENT.
absl::Status FileError(int err, absl::string_view action, const std::string& path) {
  if (err == ESRCH) err = ENOENT;
  return absl::ErrnoToStatus(err, absl::StrCat(action, " ", path));
}

// Calls `fn(name)` for each entry of directory `path` except "." and "..".
template <typename Fn>
absl::Status ForEachEntry(const std::string& path, Fn fn) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileError(errno, "list", path);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    close(fd);
    return FileError(err, "list", path);
  }
  errno = 0;
  while (dirent* e = readdir(dir)) {
    const absl::string_view name = e->d_name;
    if (name != "." && name != "..") fn(name);
    errno = 0;
  }
  const int err = errno;
  closedir(dir);
  if (err != 0) return FileError(err, "list", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(errno, "read", path);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int err = errno;
      close(fd);
      return FileError(err, "read", path);
    }
  }
  close(fd);
  return out;
}

std::string ProcFs::PidPath(pid_t pid, absl::string_view file) const {
  return absl::StrCat(root_, "/", pid, "/", file);
}

absl::StatusOr<ProcStat> ProcFs::ReadStat(pid_t pid) const {
  const std::string path = PidPath(pid, "stat");
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<ProcStat> st = ParseProcStat(*text);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", st.status().message()));
  return st;
}

absl::StatusOr<ProcStatus> ProcFs::ReadStatus(pid_t pid) const {
  const std::string path = PidPath(pid, "status");
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<ProcStatus> st = ParseProcStatus(*text);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", st.status().message()));
  return st;
}

absl::StatusOr<uint64_t> ProcFs::StartTimeTicks(pid_t pid) const {
  absl::StatusOr<ProcStat> st = ReadStat(pid);
  if (!st.ok()) return st.status();
  return st->start_time_ticks;
}

absl::StatusOr<std::vector<pid_t>> ProcFs::ChildrenOf(pid_t pid) const {
  std::vector<pid_t> tids;
  absl::Status listed = ForEachEntry(PidPath(pid, "task"), [&tids](absl::string_view name) {
    int tid = 0;
    if (absl::SimpleAtoi(name, &tid)) tids.push_back(tid);
  });
  if (!listed.ok()) return listed;
  std::vector<pid_t> children;
  for (pid_t tid : tids) {
    const std::string path = PidPath(pid, absl::StrCat("task/", tid, "/children"));
    absl::StatusOr<std::string> text = ReadSmallFile(path);
    if (!text.ok()) {
      if (!absl::IsNotFound(text.status())) return text.status();
      // Missing for a thread that exited meanwhile, or for all threads on a kernel without
      // CONFIG_PROC_CHILDREN: tell the two apart by whether the thread is still listed.
      if (access(PidPath(pid, absl::StrCat("task/", tid)).c_str(), F_OK) == 0) {
        return absl::UnimplementedError(absl::StrCat("read ", path, ": not provided by kernel"));
      }
      continue;
    }
    for (absl::string_view word : absl::StrSplit(*text, ' ', absl::SkipWhitespace())) {
      int child = 0;
      if (absl::SimpleAtoi(word, &child)) children.push_back(child);
    }
  }
  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  return children;
}

absl::StatusOr<uint32_t> ProcFs::CountOpenFds(pid_t pid) const {
  uint32_t n = 0;
  absl::Status listed = ForEachEntry(PidPath(pid, "fd"), [&n](absl::string_view) { ++n; });
  if (!listed.ok()) return listed;
  return n;
}

absl::StatusOr<std::vector<pid_t>> ProcFs::ListPids() const {
  std::vector<pid_t> pids;
  absl::Status listed = ForEachEntry(root_, [&pids](absl::string_view name) {
    int pid = 0;
    if (absl::SimpleAtoi(name, &pid) && pid > 0) pids.push_back(pid);
  });
  if (!listed.ok()) return listed;
  std::sort(pids.begin(), pids.end());
  return pids;
}

absl::StatusOr<uint64_t> StartTimeTicks(pid_t pid) { return ProcFs().StartTimeTicks(pid); }

}  // namespace corral::procfs
