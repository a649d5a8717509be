#include "agent/logger/rotating_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace corral::logger {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class RotatingLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-log-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  timespec now_{1'790'000'000, 123'456'789};  // 2026-09-21T14:13:20.123456Z
};

TEST(TimestampPrefixTest, IsUtcWithMicroseconds) {
  EXPECT_EQ(TimestampPrefix(timespec{1'790'000'000, 123'456'789}), "2026-09-21T14:13:20.123456Z ");
}

TEST_F(RotatingLogTest, TimestampsWholeLinesAndHoldsPartialOnes) {
  RotatingLog log(dir_, 1 << 20, 3);
  ASSERT_TRUE(log.Feed("one\ntw", now_));
  EXPECT_EQ(Slurp(dir_ + "/log"), "2026-09-21T14:13:20.123456Z one\n");
  ASSERT_TRUE(log.Feed("o\nthree", now_));
  ASSERT_TRUE(log.Flush(now_));
  EXPECT_EQ(Slurp(dir_ + "/log"),
            "2026-09-21T14:13:20.123456Z one\n2026-09-21T14:13:20.123456Z two\n"
            "2026-09-21T14:13:20.123456Z three\n");
}

TEST_F(RotatingLogTest, RotatesBySizeKeepingNFilesAndLosingNoLine) {
  // Each record is 28 (prefix) + 4 + 1 = 33 bytes; 100 bytes hold three.
  RotatingLog log(dir_, 100, 2);
  for (int i = 0; i < 12; ++i) {
    char line[8];
    snprintf(line, sizeof line, "l%03d\n", i);
    ASSERT_TRUE(log.Feed(line, now_));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/log.3"));
  std::string all = Slurp(dir_ + "/log.2") + Slurp(dir_ + "/log.1") + Slurp(dir_ + "/log");
  // 12 lines in files of three: log.2 holds l003-l005, log.1 l006-l008, log l009-l011.
  for (int i = 3; i < 12; ++i) {
    char line[8];
    snprintf(line, sizeof line, "l%03d", i);
    EXPECT_NE(all.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(all.find("l002"), std::string::npos);  // rotated out beyond keep_files
  for (const char* f : {"/log", "/log.1", "/log.2"}) {
    EXPECT_LE(std::filesystem::file_size(dir_ + f), 100u) << f;
  }
}

TEST_F(RotatingLogTest, CutsOverlongLines) {
  RotatingLog log(dir_, 1 << 24, 1);
  std::string big(RotatingLog::kMaxLine + 10, 'x');
  ASSERT_TRUE(log.Feed(big, now_));
  ASSERT_TRUE(log.Flush(now_));
  std::string text = Slurp(dir_ + "/log");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST_F(RotatingLogTest, NamedFileReopensAfterItWasMovedAway) {
  RotatingLog log(dir_, 1 << 20, 3, "agent.log");
  ASSERT_TRUE(log.Feed("before\n", now_));
  // What logrotate does: move the file, then SIGHUP, which the agent turns into Reopen.
  std::filesystem::rename(dir_ + "/agent.log", dir_ + "/agent.log.moved");
  log.Reopen();
  ASSERT_TRUE(log.Feed("after\n", now_));
  EXPECT_EQ(Slurp(dir_ + "/agent.log.moved"), "2026-09-21T14:13:20.123456Z before\n");
  EXPECT_EQ(Slurp(dir_ + "/agent.log"), "2026-09-21T14:13:20.123456Z after\n");
}

}  // namespace
}  // namespace corral::logger
