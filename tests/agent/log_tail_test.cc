#include "agent/log_tail.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

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

  // Appends `text` to DIR/`name` as is (a log written by something other than corral-logger).
  void Append(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::app | std::ios::binary) << text;
  }

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
  std::vector<std::string> last = LastLogLines(follower, 12).lines;
  ASSERT_EQ(last.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(Body(last[i]), "line " + std::to_string(11 + i));
  EXPECT_EQ(LastLogLines(follower, 0).lines.size(), 0u);
  EXPECT_EQ(LastLogLines(follower, 1000).lines.size(), 23u);
  EXPECT_FALSE(LastLogLines(follower, 1000).byte_cap_reached);
}

TEST_F(LogTailTest, FollowerSeesEveryNewLineAcrossRotations) {
  logger::RotatingLog log(dir_, 200, 10);
  Write(log, 0, 3);
  LogFollower follower(dir_);
  std::vector<std::string> seen;
  follower.Poll(&seen, 1000, SIZE_MAX);
  EXPECT_TRUE(seen.empty());  // starts at the end
  Write(log, 3, 40);          // several rotations while nobody polls
  follower.Poll(&seen, 1000, SIZE_MAX);
  ASSERT_EQ(seen.size(), 37u);
  for (int i = 0; i < 37; ++i) EXPECT_EQ(Body(seen[i]), "line " + std::to_string(3 + i));
}

TEST_F(LogTailTest, FollowerWaitsForTheFileToAppearAndForWholeLines) {
  LogFollower follower(dir_);
  std::vector<std::string> seen;
  follower.Poll(&seen, 10, SIZE_MAX);
  EXPECT_TRUE(seen.empty());
  logger::RotatingLog log(dir_, 1 << 20, 5);
  Write(log, 0, 25);
  follower.Poll(&seen, 10, SIZE_MAX);  // at most 10 per call
  EXPECT_EQ(seen.size(), 10u);
  follower.Poll(&seen, 100, SIZE_MAX);
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(Body(seen[24]), "line 24");
}

// Bytes this process has read with read(2)/pread(2) so far (rchar in /proc/self/io).
uint64_t BytesRead() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  ADD_FAILURE() << "no rchar in /proc/self/io";
  return 0;
}

// What reading /proc/self/io itself may add to rchar.
constexpr uint64_t kSlack = 4096;

// `count` lines of `width` bytes with their newline, "line N" padded with dots.
std::string NumberedLines(int from, int count, size_t width) {
  std::string text;
  for (int i = from; i < from + count; ++i) {
    std::string line = "line " + std::to_string(i);
    line.resize(width - 1, '.');
    text += line + "\n";
  }
  return text;
}

TEST_F(LogTailTest, LastLinesAreReadFromTheEndWithinTheByteCap) {
  // 32 MiB of 64 KiB lines.
  constexpr int kLines = 512;
  Append("log", NumberedLines(0, kLines, 64 * 1024));
  LogFollower follower(dir_);
  // Ten lines cost ten lines (and the newline before them), read from the end.
  uint64_t before = BytesRead();
  LogHistory ten = LastLogLines(follower, 10);
  EXPECT_LE(BytesRead() - before, 11 * 64 * 1024 + kSlack);
  ASSERT_EQ(ten.lines.size(), 10u);
  EXPECT_EQ(ten.lines[9], NumberedLines(kLines - 1, 1, 64 * 1024).substr(0, 64 * 1024 - 1));
  EXPECT_FALSE(ten.byte_cap_reached);
  // 1000 lines asked for: only the newest 16 MiB are read, each byte once.
  before = BytesRead();
  LogHistory history = LastLogLines(follower, 1000);
  EXPECT_LE(BytesRead() - before, kMaxTailBytes + kSlack);
  EXPECT_TRUE(history.byte_cap_reached);
  // Whole lines only: the line the cap cuts into is left out.
  ASSERT_EQ(history.lines.size(), kMaxTailBytes / (64 * 1024) - 1);
  for (size_t i = 0; i < history.lines.size(); ++i) {
    int number = kLines - static_cast<int>(history.lines.size()) + static_cast<int>(i);
    EXPECT_EQ(history.lines[i], NumberedLines(number, 1, 64 * 1024).substr(0, 64 * 1024 - 1));
  }
}

TEST_F(LogTailTest, LinesLongerThanTheCapAreCutAndSaySo) {
  const std::string huge = "huge " + std::string(3 * kMaxLineBytes, 'x');
  Append("log", "before\n" + huge + "\nafter\n");
  LogFollower follower(dir_);
  std::vector<std::string> last = LastLogLines(follower, 10).lines;
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0], "before");
  EXPECT_EQ(last[1], huge.substr(0, kMaxLineBytes) + std::string(kLineCutMarker));
  EXPECT_EQ(last[2], "after");

  // The follower cuts the same way, also a line whose end is not written yet.
  Append("log", "before\n" + huge + "\nafter\n" + huge);
  std::vector<std::string> seen;
  follower.Poll(&seen, 1000, SIZE_MAX);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], "before");
  EXPECT_EQ(seen[1], last[1]);
  EXPECT_EQ(seen[2], "after");
  EXPECT_EQ(seen[3], last[1]);
  Append("log", "rest of the huge line\nnext\n");  // the rest of a cut line is dropped
  follower.Poll(&seen, 1000, SIZE_MAX);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[4], "next");
}

TEST_F(LogTailTest, FollowerKeepsWithinTheBytesAskedFor) {
  LogFollower follower(dir_);
  Append("log", NumberedLines(0, 10, 100 * 1024));
  std::vector<std::string> seen;
  follower.Poll(&seen, 1000, 250 * 1024);  // two 100 KiB lines fit, not three
  EXPECT_EQ(seen.size(), 2u);
  follower.Poll(&seen, 1000, 1);  // one always comes, so that a small budget still moves on
  EXPECT_EQ(seen.size(), 3u);
  follower.Poll(&seen, 1000, SIZE_MAX);
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(seen[i], NumberedLines(i, 1, 100 * 1024).substr(0, 100 * 1024 - 1));
  }
}

// A server may replace its own log files: a FIFO must not block the reader (the old open
// waited for a writer for ever, on the thread every TailLogs shares), a symlink must not be
// followed, and a device that never ends must not be read.
TEST_F(LogTailTest, FilesAServerReplacedAreNotFollowedAndNeverBlock) {
  ASSERT_EQ(::mkfifo((dir_ + "/log").c_str(), 0600), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (dir_ + "/log.1").c_str()), 0);
  LogFollower follower(dir_);  // returns at once: the FIFO is not opened
  std::vector<std::string> seen;
  follower.Poll(&seen, 1000, SIZE_MAX);
  EXPECT_TRUE(seen.empty());
  EXPECT_TRUE(LastLogLines(follower, 100).lines.empty());  // log.1 names /etc/passwd: not read

  std::filesystem::remove(dir_ + "/log");
  ASSERT_EQ(::symlink("/dev/zero", (dir_ + "/log").c_str()), 0);
  follower.Poll(&seen, 1000, SIZE_MAX);
  EXPECT_TRUE(seen.empty());
}

// A log that only grows, with no newline in it, cannot hold one Poll: each reads at most
// kMaxPollReadBytes, and the rest waits for the next call.
TEST_F(LogTailTest, OnePollReadsABoundedAmount) {
  Append("log", "");
  LogFollower follower(dir_);
  Append("log", std::string(3 * kMaxPollReadBytes, 'x'));
  std::vector<std::string> seen;
  uint64_t before = BytesRead();
  follower.Poll(&seen, 1000, SIZE_MAX);
  EXPECT_LE(BytesRead() - before, kMaxPollReadBytes + kSlack);
  ASSERT_EQ(seen.size(), 1u);  // the line, cut at the line cap
  EXPECT_TRUE(seen[0].ends_with(kLineCutMarker));
  before = BytesRead();
  follower.Poll(&seen, 1000, SIZE_MAX);
  EXPECT_LE(BytesRead() - before, kMaxPollReadBytes + kSlack);
  EXPECT_EQ(seen.size(), 1u);  // still the same line: its rest is dropped
}

}  // namespace
}  // namespace corral::agent
