#include "servers/protocols/http/file_resolver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_target.h"
#include "servers/protocols/http/status_code.h"

namespace corral::http {
namespace {

// A scratch tree:
//   base/outside/secret.txt
//   base/www/index.html
//   base/www/docs/index.html, base/www/docs/guide.txt
//   base/www/empty/                       (no index.html)
//   base/www/%2e%2e/x.txt                 (a real directory named "%2e%2e")
//   base/www/alias.txt -> docs/guide.txt  (symlink inside the root)
//   base/www/leak.txt -> ../outside/secret.txt
//   base/www/leakdir -> ../outside
//   base/www/trap/index.html -> ../../outside/secret.txt
//   base/www/loop -> loop
//   base/www/pipe                         (a FIFO)
class FileResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_resolver_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    root_ = base_ + "/www";
    MakeDir("/outside");
    WriteFile("/outside/secret.txt", "secret");
    MakeDir("/www");
    WriteFile("/www/index.html", "<h1>home</h1>");
    MakeDir("/www/docs");
    WriteFile("/www/docs/index.html", "docs");
    WriteFile("/www/docs/guide.txt", "guide");
    MakeDir("/www/empty");
    MakeDir("/www/%2e%2e");
    WriteFile("/www/%2e%2e/x.txt", "literal");
    Symlink("docs/guide.txt", "/www/alias.txt");
    Symlink("../outside/secret.txt", "/www/leak.txt");
    Symlink("../outside", "/www/leakdir");
    MakeDir("/www/trap");
    Symlink("../../outside/secret.txt", "/www/trap/index.html");
    Symlink("loop", "/www/loop");
    ASSERT_EQ(mkfifo((base_ + "/www/pipe").c_str(), 0600), 0);
  }

  void TearDown() override {
    std::string command = "rm -rf '" + base_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  void MakeDir(const std::string& relative) {
    ASSERT_EQ(mkdir((base_ + relative).c_str(), 0755), 0) << relative;
  }
  void WriteFile(const std::string& relative, const std::string& content) {
    std::ofstream(base_ + relative) << content;
  }
  void Symlink(const std::string& target, const std::string& relative) {
    ASSERT_EQ(symlink(target.c_str(), (base_ + relative).c_str()), 0) << relative;
  }

  FileResolver Resolver() {
    absl::StatusOr<FileResolver> resolver = FileResolver::Create(root_);
    EXPECT_TRUE(resolver.ok()) << resolver.status();
    return *std::move(resolver);
  }

  // The HTTP status a request-target ends in after ParseTarget and Resolve, and on success
  // the path relative to the root.
  std::pair<StatusCode, std::string> Serve(std::string_view target) {
    ParsedTarget parsed;
    if (absl::Status status = ParseTarget(target, &parsed); !status.ok()) {
      return {HttpStatusOf(status), ""};
    }
    absl::StatusOr<ResolvedFile> file = Resolver().Resolve(parsed.path);
    if (!file.ok()) return {HttpStatusOf(file.status()), ""};
    EXPECT_TRUE(S_ISREG(file->info.st_mode));
    std::string canonical_root = Resolver().root();
    EXPECT_EQ(file->path.compare(0, canonical_root.size() + 1, canonical_root + "/"), 0);
    return {StatusCode::kOk, file->path.substr(canonical_root.size())};
  }

  std::string base_;
  std::string root_;
};

TEST_F(FileResolverTest, ServesFilesAndDirectoryIndexes) {
  EXPECT_EQ(Serve("/"), std::make_pair(StatusCode::kOk, std::string("/index.html")));
  EXPECT_EQ(Serve("/index.html"), std::make_pair(StatusCode::kOk, std::string("/index.html")));
  EXPECT_EQ(Serve("/docs/"), std::make_pair(StatusCode::kOk, std::string("/docs/index.html")));
  EXPECT_EQ(Serve("/docs/guide.txt?x=1"),
            std::make_pair(StatusCode::kOk, std::string("/docs/guide.txt")));
  EXPECT_EQ(Serve("/alias.txt"), std::make_pair(StatusCode::kOk, std::string("/docs/guide.txt")));
}

TEST_F(FileResolverTest, DirectoryWithoutSlashIsFlaggedForRedirect) {
  absl::StatusOr<ResolvedFile> without = Resolver().Resolve("/docs");
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_TRUE(without->directory_without_slash);
  absl::StatusOr<ResolvedFile> with = Resolver().Resolve("/docs/");
  ASSERT_TRUE(with.ok());
  EXPECT_FALSE(with->directory_without_slash);
  EXPECT_EQ(without->path, with->path);
  EXPECT_EQ(without->info.st_size, 4);
}

TEST_F(FileResolverTest, MissingIs404) {
  EXPECT_EQ(Serve("/nope.html").first, StatusCode::kNotFound);
  EXPECT_EQ(Serve("/docs/guide.txt/more").first, StatusCode::kNotFound);  // ENOTDIR
  EXPECT_EQ(Serve("/loop").first, StatusCode::kNotFound);                 // ELOOP
}

TEST_F(FileResolverTest, TraversalNeverLeavesTheRoot) {
  // Dot segments are removed before the filesystem is asked, so these name
  // "<root>/outside/secret.txt", which does not exist.
  EXPECT_EQ(Serve("/../outside/secret.txt").first, StatusCode::kNotFound);
  EXPECT_EQ(Serve("/docs/../../outside/secret.txt").first, StatusCode::kNotFound);
  EXPECT_EQ(Serve("/%2e%2e/outside/secret.txt").first, StatusCode::kNotFound);
  EXPECT_EQ(Serve("/%2E%2E/%2e%2e/outside/secret.txt").first, StatusCode::kNotFound);
  EXPECT_EQ(Serve("http://localhost/../outside/secret.txt").first, StatusCode::kNotFound);
  // Encoded slashes are refused outright.
  EXPECT_EQ(Serve("/..%2foutside%2fsecret.txt").first, StatusCode::kBadRequest);
  EXPECT_EQ(Serve("/docs%2F..%2F..%2Foutside/secret.txt").first, StatusCode::kBadRequest);
  // Double encoding decodes once: the literal directory "%2e%2e" inside the root.
  EXPECT_EQ(Serve("/%252e%252e/x.txt"),
            std::make_pair(StatusCode::kOk, std::string("/%2e%2e/x.txt")));
  EXPECT_EQ(Serve("/%252e%252e/outside/secret.txt").first, StatusCode::kNotFound);
}

TEST_F(FileResolverTest, SymlinksOutOfTheRootAre403) {
  EXPECT_EQ(Serve("/leak.txt").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/leakdir/secret.txt").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/trap/").first, StatusCode::kForbidden);  // index.html points out
}

TEST_F(FileResolverTest, ResolveChecksContainmentEvenForUnnormalisedPaths) {
  absl::StatusOr<ResolvedFile> file = Resolver().Resolve("/../outside/secret.txt");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Resolver().Resolve("relative").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Resolver().Resolve(std::string_view("/a\0b", 4)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileResolverTest, DirectoryWithoutIndexAndNonRegularFilesAre403) {
  EXPECT_EQ(Serve("/empty/").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/empty").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/pipe").first, StatusCode::kForbidden);
}

TEST_F(FileResolverTest, RootMayBeGivenThroughASymlinkOrWithDots) {
  ASSERT_EQ(symlink("www", (base_ + "/www-link").c_str()), 0);
  absl::StatusOr<FileResolver> resolver = FileResolver::Create(base_ + "/www-link/./docs/..");
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  EXPECT_EQ(resolver->root(), Resolver().root());
  absl::StatusOr<ResolvedFile> file = resolver->Resolve("/docs/guide.txt");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->path, Resolver().root() + "/docs/guide.txt");
}

TEST_F(FileResolverTest, CreateRejectsMissingRootsAndFiles) {
  EXPECT_EQ(FileResolver::Create(base_ + "/absent").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FileResolver::Create(base_ + "/www/index.html").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FileResolverRootTest, FilesystemRootServesEverything) {
  absl::StatusOr<FileResolver> resolver = FileResolver::Create("/");
  ASSERT_TRUE(resolver.ok());
  absl::StatusOr<ResolvedFile> file = resolver->Resolve("/etc/../etc/passwd");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path, "/etc/passwd");
}

}  // namespace
}  // namespace corral::http
