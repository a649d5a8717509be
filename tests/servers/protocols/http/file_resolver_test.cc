#include "servers/protocols/http/file_resolver.h"

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_target.h"
#include "servers/protocols/http/status_code.h"

namespace corral::http {
namespace {

// Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this thread's effective set for its
// lifetime (they stay permitted, so the destructor can restore them), so that file modes
// apply even when the tests run as root.
class WithoutDacOverride {
 public:
  WithoutDacOverride() {
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    EXPECT_EQ(syscall(SYS_capget, &header_, saved_), 0);
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    EXPECT_EQ(syscall(SYS_capset, &header_, reduced), 0);
  }
  ~WithoutDacOverride() { EXPECT_EQ(syscall(SYS_capset, &header_, saved_), 0); }

  WithoutDacOverride(const WithoutDacOverride&) = delete;
  WithoutDacOverride& operator=(const WithoutDacOverride&) = delete;

 private:
  __user_cap_header_struct header_{};
  __user_cap_data_struct saved_[2]{};
};

// A scratch tree:
//   base/outside/secret.txt
//   base/www/index.html
//   base/www/docs/index.html, base/www/docs/guide.txt
//   base/www/empty/                       (no index.html)
//   base/www/%2e%2e/x.txt                 (a real directory named "%2e%2e")
//   base/www/alias.txt -> docs/guide.txt  (symlink inside the root)
//   base/www/docs/up.txt -> ../index.html (".." that stays inside)
//   base/www/home -> docs/..              (a directory symlink that stays inside)
//   base/www/leak.txt -> ../outside/secret.txt
//   base/www/leakdir -> ../outside
//   base/www/parent -> ..                 (".." through a symlink, out of the root)
//   base/www/trap/index.html -> ../../outside/secret.txt
//   base/www/loop -> loop
//   base/www/pipe                         (a FIFO)
//
// Every test runs under both lookups: openat2 and the realpath fallback.
class FileResolverTest : public ::testing::TestWithParam<FileResolver::Lookup> {
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
    Symlink("../index.html", "/www/docs/up.txt");
    Symlink("docs/..", "/www/home");
    Symlink("../outside/secret.txt", "/www/leak.txt");
    Symlink("../outside", "/www/leakdir");
    Symlink("..", "/www/parent");
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
    absl::StatusOr<FileResolver> resolver = FileResolver::Create(root_, GetParam());
    EXPECT_TRUE(resolver.ok()) << resolver.status();
    EXPECT_EQ(resolver->lookup(), GetParam());  // this kernel has openat2
    return *std::move(resolver);
  }

  // The HTTP status a request-target ends in after ParseTarget and Resolve, and on success
  // the path, relative to the root, of the file whose descriptor Resolve returned.
  std::pair<StatusCode, std::string> Serve(std::string_view target) {
    ParsedTarget parsed;
    if (absl::Status status = ParseTarget(target, &parsed); !status.ok()) {
      return {HttpStatusOf(status), ""};
    }
    absl::StatusOr<ResolvedFile> file = Resolver().Resolve(parsed.path);
    if (!file.ok()) return {HttpStatusOf(file.status()), ""};
    EXPECT_TRUE(S_ISREG(file->info.st_mode));
    return {StatusCode::kOk, NameOf(*file)};
  }

  // Which regular file under the root `file` is: the relative path of the one with its
  // device and inode, after checking that fstat agrees with `info` and the bytes read
  // through the descriptor are that file's.
  std::string NameOf(const ResolvedFile& file) {
    struct stat st;
    EXPECT_EQ(fstat(file.fd.get(), &st), 0);
    EXPECT_EQ(st.st_ino, file.info.st_ino);
    for (const char* name :
         {"/index.html", "/docs/index.html", "/docs/guide.txt", "/%2e%2e/x.txt"}) {
      struct stat candidate;
      if (stat((root_ + name).c_str(), &candidate) == 0 && candidate.st_dev == st.st_dev &&
          candidate.st_ino == st.st_ino) {
        std::ifstream in(root_ + name);
        std::string expected((std::istreambuf_iterator<char>(in)), {});
        std::string actual(expected.size() + 1, '\0');
        ssize_t n = pread(file.fd.get(), actual.data(), actual.size(), 0);
        EXPECT_EQ(n, static_cast<ssize_t>(expected.size())) << name;
        actual.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
        EXPECT_EQ(actual, expected) << name;
        return name;
      }
    }
    return "(not a file of the tree)";
  }

  std::string base_;
  std::string root_;
};

std::string LookupName(const ::testing::TestParamInfo<FileResolver::Lookup>& lookup) {
  return lookup.param == FileResolver::Lookup::kOpenat2 ? "Openat2" : "Realpath";
}

INSTANTIATE_TEST_SUITE_P(Lookups, FileResolverTest,
                         ::testing::Values(FileResolver::Lookup::kOpenat2,
                                           FileResolver::Lookup::kRealpath),
                         LookupName);

TEST_P(FileResolverTest, ServesFilesAndDirectoryIndexes) {
  EXPECT_EQ(Serve("/"), std::make_pair(StatusCode::kOk, std::string("/index.html")));
  EXPECT_EQ(Serve("/index.html"), std::make_pair(StatusCode::kOk, std::string("/index.html")));
  EXPECT_EQ(Serve("/docs/"), std::make_pair(StatusCode::kOk, std::string("/docs/index.html")));
  EXPECT_EQ(Serve("/docs/guide.txt?x=1"),
            std::make_pair(StatusCode::kOk, std::string("/docs/guide.txt")));
}

TEST_P(FileResolverTest, SymlinksThatStayInsideAreServed) {
  EXPECT_EQ(Serve("/alias.txt"), std::make_pair(StatusCode::kOk, std::string("/docs/guide.txt")));
  EXPECT_EQ(Serve("/docs/up.txt"), std::make_pair(StatusCode::kOk, std::string("/index.html")));
  EXPECT_EQ(Serve("/home/"), std::make_pair(StatusCode::kOk, std::string("/index.html")));
  EXPECT_EQ(Serve("/home/docs/guide.txt"),
            std::make_pair(StatusCode::kOk, std::string("/docs/guide.txt")));
}

TEST_P(FileResolverTest, IndexFlagTellsWhichNameTheFileHas) {
  absl::StatusOr<ResolvedFile> file = Resolver().Resolve("/docs/guide.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(file->index);
  file = Resolver().Resolve("/docs/");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->index);
}

TEST_P(FileResolverTest, DirectoryWithoutSlashIsFlaggedForRedirect) {
  absl::StatusOr<ResolvedFile> without = Resolver().Resolve("/docs");
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_TRUE(without->directory_without_slash);
  absl::StatusOr<ResolvedFile> with = Resolver().Resolve("/docs/");
  ASSERT_TRUE(with.ok());
  EXPECT_FALSE(with->directory_without_slash);
  EXPECT_EQ(NameOf(*without), "/docs/index.html");
  EXPECT_EQ(NameOf(*with), "/docs/index.html");
  EXPECT_EQ(without->info.st_size, 4);
}

TEST_P(FileResolverTest, MissingIs404) {
  EXPECT_EQ(Serve("/nope.html").first, StatusCode::kNotFound);
  EXPECT_EQ(Serve("/docs/guide.txt/more").first, StatusCode::kNotFound);  // ENOTDIR
  EXPECT_EQ(Serve("/docs/guide.txt/").first, StatusCode::kNotFound);      // ENOTDIR
  EXPECT_EQ(Serve("/loop").first, StatusCode::kNotFound);                 // ELOOP
  EXPECT_EQ(Resolver().Resolve("/" + std::string(5000, 'a')).status().code(),
            absl::StatusCode::kNotFound);  // too long for a path
}

TEST_P(FileResolverTest, TraversalNeverLeavesTheRoot) {
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

TEST_P(FileResolverTest, SymlinksOutOfTheRootAre403) {
  EXPECT_EQ(Serve("/leak.txt").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/leakdir/secret.txt").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/leakdir/").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/trap/").first, StatusCode::kForbidden);  // index.html points out
}

TEST_P(FileResolverTest, DotDotThroughASymlinkToADirectoryOutsideIs403) {
  // "parent" is "..": the base directory, outside the root.
  EXPECT_EQ(Serve("/parent/outside/secret.txt").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/parent/").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/leakdir/../www/index.html").first, StatusCode::kNotFound);  // normalised
  EXPECT_EQ(Resolver().Resolve("/leakdir/../outside/secret.txt").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_P(FileResolverTest, ResolveChecksContainmentEvenForUnnormalisedPaths) {
  absl::StatusOr<ResolvedFile> file = Resolver().Resolve("/../outside/secret.txt");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Resolver().Resolve("/docs/../../outside/secret.txt").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Resolver().Resolve("relative").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Resolver().Resolve(std::string_view("/a\0b", 4)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(FileResolverTest, DirectoryWithoutIndexAndNonRegularFilesAre403) {
  EXPECT_EQ(Serve("/empty/").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/empty").first, StatusCode::kForbidden);
  EXPECT_EQ(Serve("/pipe").first, StatusCode::kForbidden);  // opened without blocking
}

TEST_P(FileResolverTest, UnreadableFileIs403ButASearchableDirectoryServesItsIndex) {
  WriteFile("/www/private.txt", "private");
  ASSERT_EQ(chmod((root_ + "/private.txt").c_str(), 0), 0);
  ASSERT_EQ(chmod((root_ + "/docs").c_str(), 0111), 0);  // search, no listing
  {
    WithoutDacOverride as_a_user;  // root would read everything
    EXPECT_EQ(Serve("/private.txt").first, StatusCode::kForbidden);
    EXPECT_EQ(Serve("/docs/"), std::make_pair(StatusCode::kOk, std::string("/docs/index.html")));
  }
  ASSERT_EQ(chmod((root_ + "/docs").c_str(), 0755), 0);
}

TEST_P(FileResolverTest, RootMayBeGivenThroughASymlinkOrWithDots) {
  ASSERT_EQ(symlink("www", (base_ + "/www-link").c_str()), 0);
  absl::StatusOr<FileResolver> resolver =
      FileResolver::Create(base_ + "/www-link/./docs/..", GetParam());
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  EXPECT_EQ(resolver->root(), Resolver().root());
  absl::StatusOr<ResolvedFile> file = resolver->Resolve("/docs/guide.txt");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(NameOf(*file), "/docs/guide.txt");
}

TEST_P(FileResolverTest, CreateRejectsMissingRootsAndFiles) {
  EXPECT_EQ(FileResolver::Create(base_ + "/absent", GetParam()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FileResolver::Create(base_ + "/www/index.html", GetParam()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(FileResolverTest, CopiesShareTheRootAndOutliveTheOriginal) {
  std::optional<FileResolver> original = Resolver();
  FileResolver copy = *original;
  original.reset();
  absl::StatusOr<ResolvedFile> file = copy.Resolve("/docs/guide.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(NameOf(*file), "/docs/guide.txt");
}

// openat2's RESOLVE_BENEATH is stricter than the realpath check about one kind of symlink:
// one whose walk leaves the root, even if it ends inside (an absolute symlink, or "../www/").
TEST_P(FileResolverTest, SymlinksThatLeaveAndComeBackDependOnTheLookup) {
  Symlink("../www/docs/guide.txt", "/www/roundtrip.txt");
  Symlink(root_ + "/docs/guide.txt", "/www/absolute.txt");
  const StatusCode expected =
      GetParam() == FileResolver::Lookup::kOpenat2 ? StatusCode::kForbidden : StatusCode::kOk;
  EXPECT_EQ(Serve("/roundtrip.txt").first, expected);
  EXPECT_EQ(Serve("/absolute.txt").first, expected);
}

TEST(FileResolverRootTest, FilesystemRootServesEverything) {
  for (FileResolver::Lookup lookup :
       {FileResolver::Lookup::kOpenat2, FileResolver::Lookup::kRealpath}) {
    absl::StatusOr<FileResolver> resolver = FileResolver::Create("/", lookup);
    ASSERT_TRUE(resolver.ok());
    absl::StatusOr<ResolvedFile> file = resolver->Resolve("/etc/../etc/passwd");
    ASSERT_TRUE(file.ok()) << file.status();
    struct stat expected;
    ASSERT_EQ(stat("/etc/passwd", &expected), 0);
    EXPECT_EQ(file->info.st_ino, expected.st_ino);
  }
}

}  // namespace
}  // namespace corral::http
