#include "agent/token_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace corral::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] =
    "# who may call over TCP\n"
    "\n"
    "ci      monitor  0123456789abcdef0123\n"
    "  alice operator fedcba9876543210fedc  \n";

TEST(TokenTableTest, FindsEachHolderBySecret) {
  absl::StatusOr<TokenTable> table = TokenTable::Parse(kGood, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  std::optional<TokenHolder> ci = table->Find("0123456789abcdef0123");
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->name, "ci");
  EXPECT_EQ(ci->role, Role::kMonitor);
  std::optional<TokenHolder> alice = table->Find("fedcba9876543210fedc");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->role, Role::kOperator);
  EXPECT_FALSE(table->Find("0123456789abcdef012").has_value());    // a prefix
  EXPECT_FALSE(table->Find("0123456789abcdef01234").has_value());  // longer
  EXPECT_FALSE(table->Find("").has_value());
}

TEST(TokenTableTest, RefusesBadLinesNamingFileAndLine) {
  auto error = [](const char* text) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "t.txt");
    EXPECT_FALSE(table.ok());
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(table.status().message());
  };
  EXPECT_THAT(error("a monitor 0123456789abcdef extra\n"), HasSubstr("t.txt:1: expected"));
  EXPECT_THAT(error("# c\na admin 0123456789abcdef\n"), HasSubstr("t.txt:2: the role is"));
  EXPECT_THAT(error("a monitor short\n"), HasSubstr("at least 16"));
  EXPECT_THAT(error("a monitor 0123456789abcdef\na operator 0123456789abcdeg\n"),
              HasSubstr("t.txt:2: the name \"a\" is given twice"));
}

TEST(TokenTableTest, LoadRefusesAFileOthersMayRead) {
  const std::string path = ::testing::TempDir() + "/tokens-" + std::to_string(::getpid());
  std::ofstream(path) << kGood;
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  absl::StatusOr<TokenTable> table = TokenTable::Load(path);
  EXPECT_EQ(table.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(table.status().message(), HasSubstr("chmod 600"));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  table = TokenTable::Load(path);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace corral::agent
