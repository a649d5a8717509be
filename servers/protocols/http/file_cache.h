#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "servers/protocols/http/file_resolver.h"
#include "servers/protocols/http/static_file.h"

namespace corral::http {

// FileCache: the bytes of small files that have not changed for a while, kept in memory, so
// that a request for one costs a hash lookup instead of open, fstat, read and close (what
// nginx's open_file_cache saves, plus the read).
//
// Fresh within `revalidate_after` (1 s by default; 0 checks every hit): a hit at least that
// long after its entry was last checked stats the path again (fstatat from the root), and the
// entry is used only if device, inode, mode, size, mtime and ctime are all unchanged since the
// bytes were read. Any write moves mtime, any chmod, chown or link change moves ctime, a rename
// over the file changes the inode. So a change, a deletion included, stops being served within
// `revalidate_after` of it (plus a tick of the coarse clock, a few ms), as with lighttpd's stat
// cache or nginx's open_file_cache_valid; the stat saved on the other hits is a tenth of what a
// small-file request costs here. An entry's first check is the path's resolution: Add is told
// when that began, so a request that stalled between resolving and adding cannot stretch it. File
// times advance in clock ticks, though, so a write within the tick of the one cached could leave
// them equal; that is why only settled files are cached: both times at least `settle` in the past
// (git's "racily clean" problem, solved the same way). A later write then necessarily carries a
// later time.
//
// Contained: an entry is made only from a file FileResolver opened inside the root. The stat of
// a hit follows the path as it is now, which could lead elsewhere through a symlink made since,
// but it matches only that very inode, unchanged: the bytes served are still the file's.
//
// Bounded: files of at most `max_file_bytes`, at most `max_entries` entries, and
// `max_total_bytes` in all, where an entry costs its bytes plus its key plus
// kEntryOverheadBytes (so names cost memory even for an empty file: a client naming one file
// in many ways, as a symlink loop in the tree allows, cannot grow the cache past the limit).
// An entry that would pass either limit empties the cache first (hot files come straight
// back). Keys are request paths, already normalised (ParseTarget merges slashes, removes dot
// segments and decodes once), so ordinary spellings of one file share one entry.
//
// Thread-safe: one mutex, held only for a hash lookup or insert; the stat and the read happen
// outside it. Entries are immutable (but for when they were last checked, an atomic) and
// shared, so one stays valid while a request uses it.
class FileCache {
 public:
  struct Options {
    std::size_t max_file_bytes = 16 * 1024;  // what HttpConnection would copy anyway
    // Bytes of all entries, keys and kEntryOverheadBytes each included.
    std::size_t max_total_bytes = 16 * 1024 * 1024;
    std::size_t max_entries = 16 * 1024;
    // How long both file times must lie in the past before the bytes may be cached.
    std::time_t settle_seconds = 2;
    // The wall clock (seconds), replaceable by tests.
    std::function<std::time_t()> now = [] { return std::time(nullptr); };
    // How long after its last check an entry is served without stating its path again
    // (corral-server --file-cache-valid-ms).
    std::chrono::milliseconds revalidate_after{1000};
    // A monotonic clock for that, replaceable by tests. CLOCK_MONOTONIC_COARSE: its few
    // milliseconds of granularity do not matter here, and it reads no hardware clock.
    std::function<std::chrono::nanoseconds()> monotonic_now = CoarseMonotonicNow;
  };

  struct Entry {
    std::string bytes;  // the whole file
    FileInfo info;      // what HTTP needs of its stat
    // What a hit compares with a fresh stat of the path.
    dev_t device = 0;
    ino_t inode = 0;
    mode_t mode = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};
    // When the path was last found unchanged (Options::monotonic_now, in nanoseconds).
    mutable std::atomic<std::int64_t> checked_at{0};
  };

  // `root_fd` is the root's directory descriptor (FileResolver::root_fd()), shared.
  FileCache(std::shared_ptr<const base::UniqueFd> root_fd, Options options);

  // The entry for the request path `path` if one is cached and was found unchanged by a check
  // less than `revalidate_after` ago, or is found unchanged by one now; null otherwise (a miss
  // may have cost a stat). Allocates nothing.
  std::shared_ptr<const Entry> Find(std::string_view path) const;

  // Reads `file`, just resolved for `path`, into the cache if it is a small, settled, regular
  // file that is neither a directory's index nor changed while being read. Returns the new
  // entry, or null when the file is not cached (then `file` is untouched: its offset is not
  // moved). Errors are misses: the caller serves from `file` as if there were no cache.
  // `resolving_since` is a Now() taken before `file` was resolved: the entry counts as checked
  // then.
  std::shared_ptr<const Entry> Add(std::string_view path, const ResolvedFile& file,
                                   std::chrono::nanoseconds resolving_since);

  // The clock of `revalidate_after` (Options::monotonic_now).
  std::chrono::nanoseconds Now() const { return options_.monotonic_now(); }

  // File bytes held (what the entries' files hold, without keys and overhead).
  std::size_t total_bytes() const;
  // What counts against max_total_bytes: file bytes, key bytes and kEntryOverheadBytes each.
  std::size_t charged_bytes() const;
  std::size_t entry_count() const;

  // What an entry costs beyond its file's bytes and its key: the Entry, the shared_ptr control
  // block, the map slot (at its load factor) and malloc's headers, rounded up.
  static constexpr std::size_t kEntryOverheadBytes = 384;
  // What an entry for `key` holding `file_bytes` counts against max_total_bytes.
  static constexpr std::size_t ChargeOf(std::string_view key, std::size_t file_bytes) {
    return file_bytes + key.size() + kEntryOverheadBytes;
  }

  static std::chrono::nanoseconds CoarseMonotonicNow();

 private:
  std::shared_ptr<const base::UniqueFd> root_fd_;
  Options options_;
  std::int64_t revalidate_after_ns_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Entry>> entries_ ABSL_GUARDED_BY(mutex_);
  std::size_t total_bytes_ ABSL_GUARDED_BY(mutex_) = 0;    // file bytes
  std::size_t charged_bytes_ ABSL_GUARDED_BY(mutex_) = 0;  // ChargeOf each entry
};

}  // namespace corral::http
