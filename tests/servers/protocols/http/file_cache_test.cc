#include "servers/protocols/http/file_cache.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/file_handler.h"
#include "servers/protocols/http/request_parser.h"

namespace corral::http {
namespace {

// A clock far enough ahead that files written by the test count as settled, and every hit
// checked (the revalidation window has its own test).
FileCache::Options Settled() {
  FileCache::Options options;
  options.now = [] { return std::time(nullptr) + 3600; };
  options.revalidate_after = std::chrono::milliseconds(0);
  return options;
}

// Settled(), with a 1 s revalidation window measured on `now`, a clock the test moves by hand.
FileCache::Options WindowOnAHandClock(std::shared_ptr<std::chrono::nanoseconds> now) {
  FileCache::Options options = Settled();
  options.revalidate_after = std::chrono::milliseconds(1000);
  options.monotonic_now = [now] { return *now; };
  return options;
}

// Sets the file's mtime to `seconds_ago` before now (ctime moves to now, as any change does).
void SetMtime(const std::string& path, int seconds_ago) {
  timespec times[2];
  times[0].tv_sec = times[1].tv_sec = std::time(nullptr) - seconds_ago;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

class FileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_file_cache_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    ASSERT_EQ(mkdir((base_ + "/www").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((base_ + "/www/docs").c_str(), 0755), 0);
    Write("/www/a.txt", "alpha\n");
    Write("/www/docs/index.html", "docs");
    Write("/outside.txt", "secret");
    absl::StatusOr<FileResolver> resolver = FileResolver::Create(base_ + "/www");
    ASSERT_TRUE(resolver.ok()) << resolver.status();
    resolver_.emplace(*std::move(resolver));
  }

  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + base_ + "'").c_str()), 0); }

  void Write(const std::string& relative, const std::string& bytes) {
    std::ofstream(base_ + relative, std::ios::trunc) << bytes;
  }

  // Resolves `path` and offers it to `cache`.
  std::shared_ptr<const FileCache::Entry> Add(FileCache& cache, const std::string& path) {
    const std::chrono::nanoseconds resolving_since = cache.Now();
    absl::StatusOr<ResolvedFile> file = resolver_->Resolve(path);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? cache.Add(path, *file, resolving_since) : nullptr;
  }

  std::string base_;
  std::optional<FileResolver> resolver_;
};

TEST_F(FileCacheTest, ServesASettledFileWhileItIsUnchanged) {
  FileCache cache(resolver_->root_fd(), Settled());
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
  std::shared_ptr<const FileCache::Entry> added = Add(cache, "/a.txt");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->bytes, "alpha\n");
  EXPECT_EQ(added->info.size, 6u);
  EXPECT_EQ(cache.Find("/a.txt"), added);
  EXPECT_EQ(cache.Find("/a.txt"), added);
  EXPECT_EQ(cache.total_bytes(), 6u);
}

TEST_F(FileCacheTest, FreshlyWrittenFilesAreNotCached) {
  FileCache cache(resolver_->root_fd(), FileCache::Options());  // the real clock
  EXPECT_EQ(Add(cache, "/a.txt"), nullptr);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
  EXPECT_EQ(cache.total_bytes(), 0u);
}

TEST_F(FileCacheTest, AWriteIsAMiss) {
  FileCache cache(resolver_->root_fd(), Settled());
  SetMtime(base_ + "/www/a.txt", 100);
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  Write("/www/a.txt", "ALPHA\n");  // same size
  SetMtime(base_ + "/www/a.txt", 50);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
  std::shared_ptr<const FileCache::Entry> again = Add(cache, "/a.txt");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->bytes, "ALPHA\n");
  EXPECT_EQ(cache.Find("/a.txt"), again);
  EXPECT_EQ(cache.total_bytes(), 6u);
}

TEST_F(FileCacheTest, AChmodIsAMiss) {
  FileCache cache(resolver_->root_fd(), Settled());
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  ASSERT_EQ(::chmod((base_ + "/www/a.txt").c_str(), 0600), 0);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
}

TEST_F(FileCacheTest, ARenameOverTheFileIsAMiss) {
  FileCache cache(resolver_->root_fd(), Settled());
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  Write("/www/new.txt", "alpha\n");  // same bytes and size, another inode
  ASSERT_EQ(::rename((base_ + "/www/new.txt").c_str(), (base_ + "/www/a.txt").c_str()), 0);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
}

TEST_F(FileCacheTest, ADeletedFileIsAMiss) {
  FileCache cache(resolver_->root_fd(), Settled());
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  ASSERT_EQ(::unlink((base_ + "/www/a.txt").c_str()), 0);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
}

TEST_F(FileCacheTest, ASymlinkSwappedInToAnotherFileIsAMiss) {
  FileCache cache(resolver_->root_fd(), Settled());
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  ASSERT_EQ(::unlink((base_ + "/www/a.txt").c_str()), 0);
  ASSERT_EQ(::symlink("../outside.txt", (base_ + "/www/a.txt").c_str()), 0);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
}

TEST_F(FileCacheTest, AChangeShowsOnceTheEntryIsDueForACheck) {
  auto now = std::make_shared<std::chrono::nanoseconds>(std::chrono::seconds(100));
  FileCache cache(resolver_->root_fd(), WindowOnAHandClock(now));
  std::shared_ptr<const FileCache::Entry> added = Add(cache, "/a.txt");
  ASSERT_NE(added, nullptr);

  // Unchanged and checked again after the window: that check starts a new window.
  *now += std::chrono::milliseconds(1500);
  EXPECT_EQ(cache.Find("/a.txt"), added);
  ASSERT_EQ(::unlink((base_ + "/www/a.txt").c_str()), 0);
  // Within the window the entry is trusted without a stat: the deletion does not show yet.
  *now += std::chrono::milliseconds(999);
  EXPECT_EQ(cache.Find("/a.txt"), added);
  // Due for a check: the stat finds the file gone.
  *now += std::chrono::milliseconds(1);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
}

// A request that resolved a path, then stalled while the path came to name another file, still
// adds the file it opened; the entry's window runs from the resolution, so the next hit checks
// the path. (The path changes through its directory: a rename over the file itself would move
// the opened file's ctime, which Add refuses.)
TEST_F(FileCacheTest, AnAddThatStalledAfterResolvingIsCheckedByTheNextHit) {
  auto now = std::make_shared<std::chrono::nanoseconds>(std::chrono::seconds(100));
  FileCache cache(resolver_->root_fd(), WindowOnAHandClock(now));
  Write("/www/docs/b.txt", "old b\n");
  const std::chrono::nanoseconds resolving_since = cache.Now();
  absl::StatusOr<ResolvedFile> old_file = resolver_->Resolve("/docs/b.txt");
  ASSERT_TRUE(old_file.ok()) << old_file.status();
  ASSERT_EQ(::rename((base_ + "/www/docs").c_str(), (base_ + "/www/old-docs").c_str()), 0);
  ASSERT_EQ(::mkdir((base_ + "/www/docs").c_str(), 0755), 0);
  Write("/www/docs/b.txt", "new b\n");
  *now += std::chrono::milliseconds(1500);  // the stall
  std::shared_ptr<const FileCache::Entry> stale =
      cache.Add("/docs/b.txt", *old_file, resolving_since);
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->bytes, "old b\n");  // what this request opened
  EXPECT_EQ(cache.Find("/docs/b.txt"), nullptr);
}

TEST_F(FileCacheTest, IndexesAndLargeFilesAreNotCached) {
  FileCache::Options options = Settled();
  options.max_file_bytes = 5;
  FileCache cache(resolver_->root_fd(), options);
  EXPECT_EQ(Add(cache, "/docs/"), nullptr);
  EXPECT_EQ(Add(cache, "/docs"), nullptr);
  EXPECT_EQ(Add(cache, "/a.txt"), nullptr);  // 6 bytes
  EXPECT_EQ(cache.total_bytes(), 0u);
}

TEST_F(FileCacheTest, PassingTheTotalEmptiesTheCacheFirst) {
  FileCache::Options options = Settled();
  // Room for one of the two 6-byte files, not both: keys and overhead count too.
  options.max_total_bytes = FileCache::ChargeOf("/a.txt", 6) + FileCache::ChargeOf("/b.txt", 6) - 1;
  FileCache cache(resolver_->root_fd(), options);
  Write("/www/b.txt", "bravo\n");
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  ASSERT_NE(Add(cache, "/b.txt"), nullptr);
  EXPECT_EQ(cache.total_bytes(), 6u);
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
  EXPECT_NE(cache.Find("/b.txt"), nullptr);
}

TEST_F(FileCacheTest, PassingTheEntryCountEmptiesTheCacheFirst) {
  FileCache::Options options = Settled();
  options.max_entries = 2;
  FileCache cache(resolver_->root_fd(), options);
  Write("/www/b.txt", "bravo\n");
  Write("/www/c.txt", "charlie\n");
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);
  ASSERT_NE(Add(cache, "/b.txt"), nullptr);
  ASSERT_NE(Add(cache, "/a.txt"), nullptr);  // replacing an entry adds none
  EXPECT_EQ(cache.entry_count(), 2u);
  ASSERT_NE(Add(cache, "/c.txt"), nullptr);
  EXPECT_EQ(cache.entry_count(), 1u);
  EXPECT_EQ(cache.charged_bytes(), FileCache::ChargeOf("/c.txt", 8));
  EXPECT_EQ(cache.Find("/a.txt"), nullptr);
  EXPECT_NE(cache.Find("/c.txt"), nullptr);
}

// Issue 19: a client that names one small file in many ways (a symlink loop in the tree can
// give it unboundedly many names even after normalisation) must not grow the cache without
// bound. An empty file costs no bytes, so only counting keys and per-entry overhead (and
// capping the entries) bounds this; the heap in use is measured, not the cache's own count.
TEST_F(FileCacheTest, ManyNamesForAnEmptyFileStayWithinTheBound) {
  Write("/www/empty.txt", "");
  FileCache::Options options = Settled();
  options.max_total_bytes = 4 * 1024 * 1024;
  FileCache cache(resolver_->root_fd(), options);
  const std::chrono::nanoseconds resolving_since = cache.Now();
  absl::StatusOr<ResolvedFile> file = resolver_->Resolve("/empty.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  const std::size_t heap_before = ::mallinfo2().uordblks;
  std::string name;
  for (int i = 0; i < 100000; ++i) {
    name.assign("/loop");
    for (int hop = i % 40; hop > 0; --hop) name += "/self";
    name += "/" + std::to_string(i) + "/empty.txt";
    ASSERT_NE(cache.Add(name, *file, resolving_since), nullptr) << name;
    ASSERT_LE(cache.charged_bytes(), options.max_total_bytes) << i;
    ASSERT_LE(cache.entry_count(), options.max_entries) << i;
  }
  const std::size_t heap_after = ::mallinfo2().uordblks;
  EXPECT_LT(heap_after - std::min(heap_after, heap_before), 2 * options.max_total_bytes)
      << "heap grew from " << heap_before << " to " << heap_after << " bytes";
}

// Through the handler: what a client sees is the same with and without the cache.
class CachedFileHandlerTest : public FileCacheTest {
 protected:
  const Response& Get(const Handler& handler, std::string_view raw) {
    parser_.Reset();
    EXPECT_EQ(parser_.Feed(raw).status, ParseStatus::kComplete) << raw;
    response_.Reset();
    handler(parser_.request(), response_);
    return response_;
  }

  static std::string Header(const Response& response, std::string_view name) {
    std::string_view headers = response.headers();
    const std::size_t at = headers.find(std::string(name) + ": ");
    if (at == std::string_view::npos) return "";
    const std::size_t start = at + name.size() + 2;
    return std::string(headers.substr(start, headers.find("\r\n", start) - start));
  }

  RequestParser parser_;
  Response response_;
};

TEST_F(CachedFileHandlerTest, CachedResponsesMatchUncachedOnes) {
  Handler uncached = MakeFileHandler(*resolver_, FileCache::Options());  // nothing settles
  Handler cached = MakeFileHandler(*resolver_, Settled());
  for (int round = 0; round < 3; ++round) {
    const Response& r = Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status(), StatusCode::kOk);
    EXPECT_FALSE(r.has_file_body()) << "round " << round;
    EXPECT_EQ(r.body(), "alpha\n");
  }
  const std::string cached_headers(response_.headers());
  const Response& plain = Get(uncached, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(plain.has_file_body());
  EXPECT_EQ(plain.headers(), cached_headers);
  const std::string etag = Header(plain, "ETag");

  const Response& range = Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=1-3\r\n\r\n");
  EXPECT_EQ(range.status(), StatusCode::kPartialContent);
  EXPECT_EQ(range.body(), "lph");
  const Response& head = Get(cached, "HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(head.content_length(), 6u);
  const Response& not_modified =
      Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\n\r\n");
  EXPECT_EQ(not_modified.status(), StatusCode::kNotModified);
  const Response& post =
      Get(cached, "POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status(), StatusCode::kMethodNotAllowed);
}

TEST_F(CachedFileHandlerTest, ANewVersionIsServedAtOnce) {
  Handler cached = MakeFileHandler(*resolver_, Settled());
  SetMtime(base_ + "/www/a.txt", 100);
  EXPECT_EQ(Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").body(), "alpha\n");
  EXPECT_EQ(Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").body(), "alpha\n");
  Write("/www/a.txt", "ALPHA, again\n");
  SetMtime(base_ + "/www/a.txt", 50);
  EXPECT_EQ(Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").body(), "ALPHA, again\n");
  ASSERT_EQ(::unlink((base_ + "/www/a.txt").c_str()), 0);
  EXPECT_EQ(Get(cached, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").status(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corral::http
