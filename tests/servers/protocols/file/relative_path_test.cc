#include "servers/protocols/file/relative_path.h"

#include "gtest/gtest.h"

namespace corral::protocols::file {
namespace {

TEST(NormalizeRelativePath, KeepsPlainPaths) {
  EXPECT_EQ(NormalizeRelativePath("a.txt").value(), "a.txt");
  EXPECT_EQ(NormalizeRelativePath("docs/2024/a.txt").value(), "docs/2024/a.txt");
  EXPECT_EQ(NormalizeRelativePath("..hidden").value(), "..hidden");  // a name, not ".."
  EXPECT_EQ(NormalizeRelativePath("a..b/c...").value(), "a..b/c...");
}

TEST(NormalizeRelativePath, DropsEmptyAndDotComponents) {
  EXPECT_EQ(NormalizeRelativePath("a//b").value(), "a/b");
  EXPECT_EQ(NormalizeRelativePath("./a/./b/").value(), "a/b");
  EXPECT_EQ(NormalizeRelativePath("").value(), "");
  EXPECT_EQ(NormalizeRelativePath(".").value(), "");
  EXPECT_EQ(NormalizeRelativePath("./").value(), "");
}

TEST(NormalizeRelativePath, RefusesAbsolutePaths) {
  for (const char* path : {"/etc/passwd", "/", "//x"}) {
    absl::StatusOr<std::string> result = NormalizeRelativePath(path);
    EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << path;
    EXPECT_NE(result.status().message().find("absolute"), absl::string_view::npos) << path;
  }
}

TEST(NormalizeRelativePath, RefusesDotDotAnywhere) {
  for (const char* path : {"..", "../x", "a/../../x", "a/..", "a/../b", "./.."}) {
    absl::StatusOr<std::string> result = NormalizeRelativePath(path);
    EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << path;
    EXPECT_NE(result.status().message().find("\"..\""), absl::string_view::npos) << path;
  }
}

TEST(NormalizeRelativePath, RefusesNul) {
  EXPECT_TRUE(absl::IsInvalidArgument(NormalizeRelativePath(std::string("a\0b", 3)).status()));
}

TEST(SplitLastComponent, SeparatesDirectoryAndName) {
  PathParts top = SplitLastComponent("a.txt");
  EXPECT_EQ(top.directory, "");
  EXPECT_EQ(top.name, "a.txt");
  PathParts nested = SplitLastComponent("x/y/a.txt");
  EXPECT_EQ(nested.directory, "x/y");
  EXPECT_EQ(nested.name, "a.txt");
}

}  // namespace
}  // namespace corral::protocols::file
