#include "servers/protocols/file/directory_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "servers/protocols/file/fs_error.h"

namespace corral::protocols::file {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

ListEntry::Type TypeOf(const struct stat& info) {
  if (S_ISREG(info.st_mode)) return ListEntry::Type::kFile;
  if (S_ISDIR(info.st_mode)) return ListEntry::Type::kDirectory;
  return ListEntry::Type::kOther;
}

// lstat, but a symlink is replaced by its target when that resolves inside the root.
bool DescribeEntry(const ConfinedRoot& root, std::string_view directory, int dir_fd,
                   const char* name, struct stat* info) {
  if (::fstatat(dir_fd, name, info, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (!S_ISLNK(info->st_mode)) return true;
  std::string path =
      directory.empty() ? std::string(name) : absl::StrCat(std::string(directory), "/", name);
  base::UniqueFd target = root.OpenBeneath(path, O_PATH);
  struct stat target_info;
  if (target.valid() && ::fstat(target.get(), &target_info) == 0) *info = target_info;
  return true;
}

}  // namespace

absl::StatusOr<std::vector<ListEntry>> ListDirectory(const ConfinedRoot& root,
                                                     std::string_view directory) {
  base::UniqueFd fd = root.OpenBeneath(directory, O_RDONLY | O_DIRECTORY);
  if (!fd.valid()) return ErrnoStatus(errno);
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd.get()));
  if (dir == nullptr) return ErrnoStatus(errno, "opendir");
  fd.Release();  // the DIR owns it now

  std::vector<ListEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* item = ::readdir(dir.get());
    if (item == nullptr) {
      if (errno != 0) return ErrnoStatus(errno, "readdir");
      break;
    }
    if (std::strcmp(item->d_name, ".") == 0 || std::strcmp(item->d_name, "..") == 0) continue;
    struct stat info;
    // An entry that vanished since readdir is simply not listed.
    if (!DescribeEntry(root, directory, ::dirfd(dir.get()), item->d_name, &info)) continue;
    ListEntry entry;
    entry.type = TypeOf(info);
    entry.size = entry.type == ListEntry::Type::kFile ? static_cast<uint64_t>(info.st_size) : 0;
    entry.name = item->d_name;
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const ListEntry& a, const ListEntry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace corral::protocols::file
