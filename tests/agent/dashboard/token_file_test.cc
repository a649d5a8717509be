#include "agent/token_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace corral::agent {
namespace {

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-token-test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    path_ = std::string(dir) + "/tokens";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(path_.substr(0, path_.rfind('/')).c_str());
  }
  void Write(const std::string& text, mode_t mode = 0600) {
    std::ofstream(path_) << text;
    ::chmod(path_.c_str(), mode);
  }
  std::string path_;
};

TEST_F(TokenFileTest, LoadsAndFinds) {
  Write(
      "# who may watch\n\nops operator 0123456789abcdef0123\n  viewer monitor "
      "viewer-secret-0001\n");
  absl::StatusOr<TokenTable> table = TokenTable::Load(path_);
  ASSERT_TRUE(table.ok()) << table.status();
  std::optional<TokenHolder> ops = table->Find("0123456789abcdef0123");
  ASSERT_TRUE(ops);
  EXPECT_EQ(ops->name, "ops");
  EXPECT_EQ(ops->role, Role::kOperator);
  EXPECT_EQ(table->Find("viewer-secret-0001")->role, Role::kMonitor);
  EXPECT_FALSE(table->Find("0123456789abcdef012"));  // a prefix is not the secret
  EXPECT_FALSE(table->Find(""));
}

TEST_F(TokenFileTest, RefusesAFileOthersCanRead) {
  Write("ops operator 0123456789abcdef0123\n", 0640);
  EXPECT_EQ(TokenTable::Load(path_).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(TokenFileTest, RefusesBadLines) {
  for (const char* text :
       {"ops operator\n", "ops admin 0123456789abcdef0123\n", "ops operator short\n",
        "a monitor 0123456789abcdef0123\na operator 0123456789abcdef9999\n"}) {
    Write(text);
    EXPECT_EQ(TokenTable::Load(path_).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace corral::agent
