#include "servers/stats/scoreboard_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "servers/stats/scoreboard.h"
#include "tests/servers/stats/temp_dir.h"

namespace corral::stats {
namespace {

using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string RealScoreboardBytes(const TempDir& dir) {
  ScoreboardOptions o;
  o.path = dir.File("real");
  o.slot_count = 2;
  EXPECT_TRUE(Scoreboard::Create(o).ok());
  return ReadFile(o.path);
}

TEST(ScoreboardReaderTest, MissingFileIsNotFound) {
  TempDir dir;
  absl::Status s = ScoreboardReader::Open(dir.File("absent")).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_EQ(s.message(), "open scoreboard " + dir.File("absent") + ": No such file or directory");
}

TEST(ScoreboardReaderTest, FileTooSmallForAHeaderIsRefused) {
  TempDir dir;
  WriteFile(dir.File("tiny"), "CORRALSB");
  absl::Status s = ScoreboardReader::Open(dir.File("tiny")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("truncated or not a scoreboard: file is 8 bytes"));
}

TEST(ScoreboardReaderTest, ForeignFileIsRefused) {
  TempDir dir;
  WriteFile(dir.File("foreign"), std::string(64 * 1024, 'x'));
  absl::Status s = ScoreboardReader::Open(dir.File("foreign")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("not a corral scoreboard (magic 0x7878787878787878)"));
}

TEST(ScoreboardReaderTest, TruncatedScoreboardIsRefused) {
  TempDir dir;
  const std::string real = RealScoreboardBytes(dir);
  WriteFile(dir.File("cut"), real.substr(0, real.size() - 100));
  absl::Status s = ScoreboardReader::Open(dir.File("cut")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("truncated: file is ", real.size() - 100,
                                                  " bytes, header says ", real.size())));
}

TEST(ScoreboardReaderTest, OtherLayoutVersionOrBuildIsRefused) {
  TempDir dir;
  const std::string real = RealScoreboardBytes(dir);

  std::string v99 = real;
  const uint32_t version = 99;
  std::memcpy(v99.data() + offsetof(ScoreboardHeader, layout_version), &version, sizeof(version));
  WriteFile(dir.File("v99"), v99);
  absl::Status s = ScoreboardReader::Open(dir.File("v99")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_THAT(s.message(), HasSubstr("layout version 99, this build reads 1"));

  std::string other_build = real;
  const uint32_t slot_size = sizeof(SlotLayout) + 64;
  std::memcpy(other_build.data() + offsetof(ScoreboardHeader, slot_size), &slot_size,
              sizeof(slot_size));
  WriteFile(dir.File("other"), other_build);
  s = ScoreboardReader::Open(dir.File("other")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_THAT(s.message(), HasSubstr("written by a different build"));
}

TEST(ScoreboardReaderTest, PerSlotLatencyIsCopiedOnlyWhenAsked) {
  TempDir dir;
  ScoreboardOptions o;
  o.path = dir.File("sb");
  o.slot_count = 3;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(o);
  ASSERT_TRUE(sb.ok());
  absl::StatusOr<SlotWriter> a = sb->ClaimSlot();
  absl::StatusOr<SlotWriter> b = sb->ClaimSlot();
  a->OnRequest(1'000);
  b->OnRequest(9'000'000);
  b->OnRequest(9'000'000);
  a->SetState(WorkerState::kIdle);
  b->SetState(WorkerState::kWriting);

  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(o.path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->slot_count(), 3u);
  EXPECT_TRUE(r->Read().slot_latency.empty());
  const Snapshot snap = r->Read({.per_slot_latency = true});
  ASSERT_EQ(snap.slot_latency.size(), 3u);
  EXPECT_EQ(snap.slot_latency[0].count, 1u);
  EXPECT_EQ(snap.slot_latency[1].count, 2u);
  EXPECT_EQ(snap.slot_latency[2].count, 0u);
  EXPECT_NEAR(snap.slot_latency[0].Max(), 1'000.0, 10.0);
  EXPECT_NEAR(snap.slot_latency[1].Max(), 9'000'000.0, 90'000.0);
  EXPECT_EQ(snap.latency.count, 3u);
  EXPECT_EQ(snap.idle_workers(), 1u);
  EXPECT_EQ(snap.busy_workers(), 1u);
  EXPECT_EQ(snap.free_slots(), 1u);
  EXPECT_EQ(snap.workers_by_state[static_cast<size_t>(WorkerState::kWriting)], 1u);
}

TEST(ScoreboardReaderTest, ReaderMapsReadOnlyAndNeedsNoWriteAccess) {
  TempDir dir;
  ScoreboardOptions o;
  o.path = dir.File("sb");
  o.slot_count = 1;
  ASSERT_TRUE(Scoreboard::Create(o).ok());
  ASSERT_EQ(chmod(o.path.c_str(), 0400), 0);
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(o.path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Read().slots.size(), 1u);
}

}  // namespace
}  // namespace corral::stats
