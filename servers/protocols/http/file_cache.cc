#include "servers/protocols/http/file_cache.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace corral::http {
namespace {

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool Unchanged(const FileCache::Entry& entry, const struct stat& now) {
  return entry.inode == now.st_ino && entry.device == now.st_dev && entry.size == now.st_size &&
         entry.mode == now.st_mode && SameTime(entry.mtime, now.st_mtim) &&
         SameTime(entry.ctime, now.st_ctim);
}

absl::string_view Key(std::string_view path) { return absl::string_view(path.data(), path.size()); }

}  // namespace

FileCache::FileCache(std::shared_ptr<const base::UniqueFd> root_fd, Options options)
    : root_fd_(std::move(root_fd)),
      options_(std::move(options)),
      revalidate_after_ns_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.revalidate_after).count()) {
}

std::chrono::nanoseconds FileCache::CoarseMonotonicNow() {
  timespec now;
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

std::shared_ptr<const FileCache::Entry> FileCache::Find(std::string_view path) const {
  std::shared_ptr<const Entry> entry;
  {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(Key(path));
    if (it == entries_.end()) return nullptr;
    entry = it->second;
  }
  const std::int64_t now = Now().count();
  if (now - entry->checked_at.load(std::memory_order_relaxed) < revalidate_after_ns_) return entry;
  // The path relative to the root, NUL-terminated, as FileResolver spells it.
  const std::size_t first = path.find_first_not_of('/');
  if (first == std::string_view::npos || path.size() - first >= PATH_MAX) return nullptr;
  char relative[PATH_MAX];
  std::memcpy(relative, path.data() + first, path.size() - first);
  relative[path.size() - first] = '\0';
  struct stat current;
  if (::fstatat(root_fd_->get(), relative, &current, 0) != 0 || !Unchanged(*entry, current)) {
    return nullptr;  // the next Add replaces it
  }
  entry->checked_at.store(now, std::memory_order_relaxed);
  return entry;
}

std::shared_ptr<const FileCache::Entry> FileCache::Add(std::string_view path,
                                                       const ResolvedFile& file,
                                                       std::chrono::nanoseconds resolving_since) {
  const struct stat& before = file.info;
  if (file.index || file.directory_without_slash || !S_ISREG(before.st_mode) ||
      before.st_size < 0 || static_cast<std::size_t>(before.st_size) > options_.max_file_bytes) {
    return nullptr;
  }
  const std::time_t settled_before = options_.now() - options_.settle_seconds;
  if (before.st_mtim.tv_sec >= settled_before || before.st_ctim.tv_sec >= settled_before) {
    return nullptr;
  }
  auto entry = std::make_shared<Entry>();
  // The resolution found this very file at the path (and `after` below must still match it).
  entry->checked_at.store(resolving_since.count(), std::memory_order_relaxed);
  entry->bytes.resize(static_cast<std::size_t>(before.st_size));
  std::size_t done = 0;
  while (done < entry->bytes.size()) {
    const ssize_t n = ::pread(file.fd.get(), entry->bytes.data() + done, entry->bytes.size() - done,
                              static_cast<off_t>(done));
    if (n <= 0) return nullptr;  // an error, or the file shrank: not worth caching
    done += static_cast<std::size_t>(n);
  }
  struct stat after;
  if (::fstat(file.fd.get(), &after) != 0) return nullptr;
  entry->info = FileInfo::FromStat(before);
  entry->device = before.st_dev;
  entry->inode = before.st_ino;
  entry->mode = before.st_mode;
  entry->size = before.st_size;
  entry->mtime = before.st_mtim;
  entry->ctime = before.st_ctim;
  if (!Unchanged(*entry, after)) return nullptr;  // written while being read

  const std::size_t charge = ChargeOf(path, entry->bytes.size());
  if (charge > options_.max_total_bytes || options_.max_entries == 0) return nullptr;
  absl::MutexLock lock(&mutex_);
  if (auto it = entries_.find(Key(path)); it != entries_.end()) {
    total_bytes_ -= it->second->bytes.size();
    charged_bytes_ -= ChargeOf(path, it->second->bytes.size());
    entries_.erase(it);
  }
  if (charged_bytes_ + charge > options_.max_total_bytes ||
      entries_.size() + 1 > options_.max_entries) {
    // clear() also gives back a large table's slots, which entries_ would otherwise keep.
    entries_.clear();
    total_bytes_ = 0;
    charged_bytes_ = 0;
  }
  entries_.emplace(Key(path), entry);
  total_bytes_ += entry->bytes.size();
  charged_bytes_ += charge;
  return entry;
}

std::size_t FileCache::total_bytes() const {
  absl::MutexLock lock(&mutex_);
  return total_bytes_;
}

std::size_t FileCache::charged_bytes() const {
  absl::MutexLock lock(&mutex_);
  return charged_bytes_;
}

std::size_t FileCache::entry_count() const {
  absl::MutexLock lock(&mutex_);
  return entries_.size();
}

}  // namespace corral::http
