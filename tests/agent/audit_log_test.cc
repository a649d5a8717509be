#include "agent/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "tests/support/file_text.h"

namespace corral::agent {
namespace {

using ::testing::HasSubstr;

TEST(AuditLogTest, OneQuotedBoundedLinePerRecord) {
  const std::string line = FormatAuditLine({.when = absl::FromUnixMillis(1765158300123),
                                            .who = "token alice",
                                            .peer = "ipv4:10.0.0.7:51234",
                                            .method = "Stop",
                                            .server = "we\"b\nx",
                                            .outcome = "OK"});
  EXPECT_EQ(line,
            "2025-12-08T01:45:00.123Z who=\"token alice\" peer=\"ipv4:10.0.0.7:51234\" "
            "method=Stop server=\"we\\\"b\\x0ax\" outcome=\"OK\"");
  const std::string long_one =
      FormatAuditLine({.when = absl::Now(), .who = "x", .server = std::string(10000, 'a')});
  EXPECT_LT(long_one.size(), 2 * AuditLog::kMaxFieldBytes);
  EXPECT_THAT(long_one, HasSubstr("...\""));
}

TEST(AuditLogTest, AppendsToTheFileInOrderWithMode0600) {
  char pattern[] = "/tmp/corral-audit-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string home = pattern;
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open(home);
    ASSERT_TRUE(audit.ok()) << audit.status();
    for (int i = 0; i < 100; ++i) {
      (*audit)->Append({.when = absl::Now(),
                        .who = "t",
                        .method = "Start",
                        .server = "s" + std::to_string(i),
                        .outcome = "OK"});
    }
  }  // the destructor writes what is queued
  const std::string text = corral::testing::FileText(AuditLog::Path(home));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 100);
  EXPECT_LT(text.find("server=\"s0\""), text.find("server=\"s99\""));
  struct stat info {};
  ASSERT_EQ(::stat(AuditLog::Path(home).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace corral::agent
