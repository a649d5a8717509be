#include "agent/log_tail.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "agent/logger/rotating_log.h"

namespace corral::agent {
namespace {

class LogTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-tail-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(logger::RotatingLog& log, int from, int to) {
    for (int i = from; i < to; ++i) ASSERT_TRUE(log.Feed("line " + std::to_string(i) + "\n", now_));
  }
  static std::string Body(const std::string& line) { return line.substr(28); }  // no timestamp

  std::string dir_;
  timespec now_{1'790'000'000, 0};
};

TEST_F(LogTailTest, LastLinesSpanRotatedFilesOldestFirst) {
  logger::RotatingLog log(dir_, 200, 5);  // about five 36-byte records per file
  Write(log, 0, 23);
  LogFollower follower(dir_);
  std::vector<std::string> last = LastLogLines(follower, 12);
  ASSERT_EQ(last.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(Body(last[i]), "line " + std::to_string(11 + i));
  EXPECT_EQ(LastLogLines(follower, 0).size(), 0u);
  EXPECT_EQ(LastLogLines(follower, 1000).size(), 23u);
}

TEST_F(LogTailTest, FollowerSeesEveryNewLineAcrossRotations) {
  logger::RotatingLog log(dir_, 200, 10);
  Write(log, 0, 3);
  LogFollower follower(dir_);
  std::vector<std::string> seen;
  follower.Poll(&seen, 1000);
  EXPECT_TRUE(seen.empty());  // starts at the end
  Write(log, 3, 40);          // several rotations while nobody polls
  follower.Poll(&seen, 1000);
  ASSERT_EQ(seen.size(), 37u);
  for (int i = 0; i < 37; ++i) EXPECT_EQ(Body(seen[i]), "line " + std::to_string(3 + i));
}

TEST_F(LogTailTest, FollowerWaitsForTheFileToAppearAndForWholeLines) {
  LogFollower follower(dir_);
  std::vector<std::string> seen;
  follower.Poll(&seen, 10);
  EXPECT_TRUE(seen.empty());
  logger::RotatingLog log(dir_, 1 << 20, 5);
  Write(log, 0, 25);
  follower.Poll(&seen, 10);  // at most 10 per call
  EXPECT_EQ(seen.size(), 10u);
  follower.Poll(&seen, 100);
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(Body(seen[24]), "line 24");
}

}  // namespace
}  // namespace corral::agent
