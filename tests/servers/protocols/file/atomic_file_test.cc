#include "servers/protocols/file/atomic_file.h"

#include <fcntl.h>

#include <vector>

#include "gtest/gtest.h"
#include "tests/servers/protocols/file/test_files.h"

namespace corral::protocols::file {
namespace {

using testing::Names;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// Runs every test twice: with O_TMPFILE, and with the named-temp-file fallback.
class AtomicFileTest : public ::testing::TestWithParam<bool> {
 protected:
  base::UniqueFd Dir() {
    return base::UniqueFd(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }

  absl::StatusOr<AtomicFile> Create(const std::string& name, bool replace) {
    AtomicFile::Options options;
    options.replace = replace;
    options.use_tmpfile = GetParam();
    return AtomicFile::Create(Dir(), name, options);
  }

  TempDir dir_;
};

TEST_P(AtomicFileTest, CommitPublishesTheWholeFileAndNothingElse) {
  absl::StatusOr<AtomicFile> file = Create("a.txt", false);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->uses_named_temp(), !GetParam());
  ASSERT_TRUE(file->Write("hello ", 6).ok());
  ASSERT_TRUE(file->Write("world", 5).ok());
  EXPECT_EQ(Names(dir_.path()).size(), GetParam() ? 0u : 1u) << "only a hidden temp, if any";
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{"a.txt"});
  EXPECT_EQ(ReadFile(dir_ / "a.txt"), "hello world");
}

TEST_P(AtomicFileTest, AbandonedFileLeavesNothing) {
  {
    absl::StatusOr<AtomicFile> file = Create("a.txt", false);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(file->Write("partial", 7).ok());
  }
  EXPECT_TRUE(Names(dir_.path()).empty());
}

TEST_P(AtomicFileTest, WithoutReplaceANameTakenMeanwhileWins) {
  absl::StatusOr<AtomicFile> file = Create("a.txt", false);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Write("new", 3).ok());
  WriteFile(dir_ / "a.txt", "old");  // another writer got there first
  absl::Status committed = file->Commit();
  EXPECT_TRUE(absl::IsAlreadyExists(committed)) << committed;
  EXPECT_NE(committed.message().find("exists and overwrite is not allowed"),
            absl::string_view::npos);
  EXPECT_EQ(ReadFile(dir_ / "a.txt"), "old");
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{"a.txt"});
}

TEST_P(AtomicFileTest, WithReplaceTheNewContentReplacesTheOld) {
  WriteFile(dir_ / "a.txt", "old content");
  absl::StatusOr<AtomicFile> file = Create("a.txt", true);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Write("new", 3).ok());
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(ReadFile(dir_ / "a.txt"), "new");
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{"a.txt"});
}

TEST_P(AtomicFileTest, CommitTwiceIsRefused) {
  absl::StatusOr<AtomicFile> file = Create("a.txt", false);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Commit()));
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{"a.txt"});
}

INSTANTIATE_TEST_SUITE_P(Modes, AtomicFileTest, ::testing::Bool(), testing::TempFileModeName);

TEST(NameExists, SeesFilesAndDanglingSymlinks) {
  TempDir dir;
  WriteFile(dir / "f", "x");
  ASSERT_EQ(::symlink("/nonexistent/target", (dir / "dangling").c_str()), 0);
  base::UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(NameExists(fd.get(), "f"));
  EXPECT_TRUE(NameExists(fd.get(), "dangling"));
  EXPECT_FALSE(NameExists(fd.get(), "absent"));
}

}  // namespace
}  // namespace corral::protocols::file
